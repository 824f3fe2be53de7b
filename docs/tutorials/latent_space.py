# %% [markdown]
# # Studying the latent space
#
# What the central layer holds, how each dimension changes the decoded signal, what lies
# between two signals, what the density of the training codes generates, and which signals
# the model finds unusual. Every function here is also a command (`sigae latent ...`,
# `sigae generate`, `sigae score`) and a section of `sigae report`.

# %%
# %matplotlib inline
import numpy as np

import sigae
from sigae import latent
from sigae.study import plotting

train, test = sigae.datasets.oscillations(n_signals=800)
model = sigae.SignalAutoencoder(sigae.ModelConfig(length=501, latent_dim=8), seed=0)
model.fit(train, epochs=4, seed=0, verbose=0)
codes = model.encode(test)

# %% [markdown]
# ## How the code is used: variance per dimension

# %%
stats = latent.stats(codes)
plotting.plot_latent_stats(stats)

# %% [markdown]
# ## The codes on a map

# %%
points, explained = latent.project(codes, "pca")
plotting.plot_projection(points, method="pca", explained=explained)

# %% [markdown]
# ## One dimension at a time
#
# The three dimensions with the most variance, each moved across two standard deviations of
# the training codes around the mean code:

# %%
mean = model.calibration.gaussian.means[0]
dims = [int(d) for d in np.argsort(stats.std)[::-1][:3]]
_, traversed = latent.traverse(model, mean, dims, steps=7, span=2.0)
plotting.plot_traversal(traversed, dims, np.linspace(-2.0, 2.0, 7))

# %% [markdown]
# ## Between two signals

# %%
codes_path, path = latent.interpolate(model, codes[0], codes[1], method="slerp")
plotting.plot_interpolation(path, test[0], test[1], method="slerp")

# %% [markdown]
# ## New signals from the density of the training codes
#
# Codes less likely than 99% of the training codes are flagged as outside it.

# %%
generated = latent.generate(model, 8, sampler="gmm", seed=0)
plotting.plot_generated(generated.signals, generated.outside, sampler="gmm")

# %% [markdown]
# ## Which signals are unusual
#
# The threshold is the 99th percentile of the validation errors stored at `fit`. A test
# set with a few broken signals: the model flags them.

# %%
broken = test.copy()
broken[:5, 200:260] += 3.0  # a burst that the training signals never had
scores = latent.score(model, broken)
print(f"flagged: {np.flatnonzero(scores.is_anomaly)[:10]}")
plotting.plot_errors(scores.mse, scores.threshold)
