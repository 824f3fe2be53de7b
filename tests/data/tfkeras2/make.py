"""Writes the seed's own autoencoder as its author would have, with tf.keras 2 (Keras 2 API), to a legacy .h5:
nested Encoder()/Decoder() models, global mean/std normalization, trained a few epochs. Also writes the
question's bug: the trained encoder beside a freshly rebuilt Decoder(). Run in a venv with tensorflow-cpu and
tf-keras (TF_USE_LEGACY_KERAS=1). Sizes are small so the files can live in the steering repo.
"""
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
import numpy as np
import tf_keras as keras
from tf_keras.layers import Conv1D, Dense, Flatten, Input, MaxPooling1D, Reshape, UpSampling1D
from tf_keras.models import Model

LEN = 101
rng = np.random.default_rng(5)
t = np.linspace(0, 1, LEN)
oscillations = (np.exp(-rng.uniform(1, 3, (400, 1)) * t) * np.sin(2 * np.pi * rng.uniform(2, 6, (400, 1)) * t + rng.uniform(0, 6, (400, 1)))
                + rng.normal(0, 0.05, (400, LEN))).astype("float32")[..., None]
mean, std = oscillations.mean(), oscillations.std()
training = (oscillations - mean) / std
keras.utils.set_random_seed(5)

def Encoder():
    x = Input(shape=(LEN, 1))
    h = Conv1D(32, 3, activation="tanh")(x)
    h = MaxPooling1D(2)(h)
    h = Conv1D(8, 3, activation="tanh")(h)
    h = MaxPooling1D(2)(h)
    h = Flatten()(h)
    return Model(x, Dense(6, activation="tanh")(h))

def Decoder():
    y = Input(shape=(6,))
    h = Reshape((6, 1))(y)
    h = Conv1D(8, 3, activation="tanh")(h)
    h = UpSampling1D(2)(h)
    h = Conv1D(32, 3, activation="tanh")(h)
    h = UpSampling1D(2)(h)
    h = Flatten()(h)
    h = Dense(LEN)(h)
    return Model(y, Reshape((LEN, 1))(h))

x = Input(shape=(LEN, 1))
autoencoder = Model(x, Decoder()(Encoder()(x)))
autoencoder.compile(optimizer="adam", loss="mse")
autoencoder.fit(training, training, epochs=5, batch_size=100, validation_split=0.2, verbose=0)
autoencoder.save("seed_tfkeras2.h5")
enc = autoencoder.layers[1]
enc.save("seed_tfkeras2_encoder.h5")
Decoder().save("seed_tfkeras2_fresh_decoder.h5")           # the question's bug
np.savez("seed_tfkeras2_ref.npz", x=oscillations[:100], mean=mean, std=std,
         codes=enc.predict(training[:100], batch_size=100, verbose=0),
         recon=autoencoder.predict(training[:100], batch_size=100, verbose=0))
print(keras.__version__, [type(l).__name__ for l in autoencoder.layers])
