# %% [markdown]
# # The question, done right
#
# The question sigae comes from: a researcher trains `Model(x, Decoder()(Encoder()(x)))`,
# calls `Encoder()` and `Decoder()` again to reuse the parts, and gets other predictions.
# This tutorial shows why, then the same workflow with sigae, where the encoder, the
# decoder and the autoencoder are three views over one set of weights. It runs top to
# bottom when the documentation is built (a short training, a few seconds on a laptop).

# %%
# %matplotlib inline
import sigae  # first: it selects Keras' JAX backend before Keras loads

import keras
import numpy as np

train, test = sigae.datasets.oscillations(n_signals=800)  # damped oscillations, 501 samples
train.shape, test.shape

# %% [markdown]
# ## Why the rebuilt parts predict something else
#
# In plain Keras, calling a function that builds layers builds *new* layers, with fresh
# random weights. A tiny version of the question's code makes it visible:

# %%
def encoder_part():
    return keras.Sequential([keras.Input((501, 1)), keras.layers.Flatten(),
                             keras.layers.Dense(8)])


def decoder_part():
    return keras.Sequential([keras.Input((8,)), keras.layers.Dense(501),
                             keras.layers.Reshape((501, 1))])


x = keras.Input((501, 1))
autoencoder = keras.Model(x, decoder_part()(encoder_part()(x)))
rebuilt = decoder_part()(encoder_part()(test[:1]))  # "reuse" the parts: new weights
float(np.max(np.abs(autoencoder(test[:1]) - rebuilt)))  # not 0: other weights

# %% [markdown]
# ## The same workflow in sigae
#
# One model, three views over the same variables; the normalization is fitted on the
# training signals and lives inside the model.

# %%
model = sigae.SignalAutoencoder(sigae.ModelConfig(length=501, latent_dim=8), seed=0)
history = model.fit(train, epochs=4, seed=0, verbose=0)
model  # in a notebook, a model shows as a card of what it is and what it learned

# %%
codes = model.encode(test)          # the central layer, to study
decoded = model.decode(codes)       # the trained decoder, in the units of `train`
reconstructed = model.reconstruct(test)
assert np.array_equal(decoded, reconstructed)  # bit for bit
assert all(a is b for a, b in zip(model.encoder.weights + model.decoder.weights,
                                  model.autoencoder.weights))
codes.shape

# %% [markdown]
# The question's own plot, "AE" (the autoencoder) against "eD" (encoder then decoder):
# with one set of weights, the two curves are one.

# %%
from sigae.study.plotting import plot_history, plot_reconstruction

plot_reconstruction(test[0], reconstructed[0], decoded[0])

# %%
plot_history(model.history)

# %% [markdown]
# ## Never worse than PCA, and told so
#
# Every `fit` compares the model with PCA of the same size on the validation signals, in
# normalized and in data units:

# %%
print(model.comparison.summary())

# %% [markdown]
# ## Saving keeps the views shared

# %%
import tempfile
from pathlib import Path

folder = Path(tempfile.mkdtemp())
model.save(folder / "model.sigae")
same = sigae.load(folder / "model.sigae")
assert np.array_equal(same.decode(codes), decoded)
same.export_decoder(folder / "decoder.keras")  # plain Keras, no sigae needed to load it
sorted(p.name for p in folder.iterdir())
