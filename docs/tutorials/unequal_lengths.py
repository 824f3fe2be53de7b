# %% [markdown]
# # Recordings of different lengths
#
# Gestures, heartbeats, spoken vowels and machine cycles are unequal by nature. Here the
# time-series archive's PickupGestureWiimoteZ (50 gestures of 29 to 361 samples, as aeon
# ships it) goes in three ways: resampled to one length, padded with a mask, or cut into
# windows, and each way says what it did.

# %%
# %matplotlib inline
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import sigae
from sigae.io import load_signals, read_collection

# The files sigae's tests read, in the repository this page is built from.
ARCHIVE = next(folder / "tests" / "data" / "archive" for folder in (Path.cwd(), *Path.cwd().parents)
               if (folder / "tests" / "data" / "archive").is_dir())
gestures = ARCHIVE / "PickupGestureWiimoteZ_TRAIN.ts"
collection = read_collection(gestures)
lengths = collection.lengths
print(f"{len(lengths)} recordings of {lengths.min()} to {lengths.max()} samples; classes "
      f"{sorted(set(map(str, collection.labels)))}")

# %% [markdown]
# ## Resampled, padded or cut

# %%
for policy, options in (("resample", {}), ("pad", {}), ("window", {"window": 29, "hop": 14})):
    signals = load_signals(gestures, lengths=policy, **options)
    print(f"{policy:>8}: {signals.shape}: {signals.note}")

# %% [markdown]
# ## Padding that never counts
#
# Padded signals carry a mask: the loss, the normalization, the comparison with PCA, the
# calibration and every score leave the padding out, so whatever it holds changes nothing.

# %%
padded = load_signals(gestures, lengths="pad")
model = sigae.SignalAutoencoder(sigae.ModelConfig(length=padded.shape[1], latent_dim=6), seed=0)
# 40% held out: 20 validation signals, the fewest an anomaly threshold is taken from.
model.fit(padded, epochs=4, seed=0, verbose=0, augment="none", validation_split=0.4)
scores = sigae.latent.score(model, padded)
print(model.learned.length_policy, model.comparison.summary())

# %% [markdown]
# ## Back to each recording's own length
#
# `Signals.restore` crops the padding of each reconstruction (or resamples back what was
# resampled): one array per recording, at its own length.

# %%
restored = padded.restore(model.reconstruct(padded))
figure = Figure(figsize=(9, 3), layout="constrained")
for axes, i in zip(figure.subplots(1, 3), np.argsort(lengths)[[0, 25, -1]], strict=True):
    axes.plot(collection.series[i][:, 0], color="black", linewidth=1, label="recording")
    axes.plot(restored[i][:, 0], color="tab:orange", linewidth=1.5, label="reconstruction")
    axes.set_title(f"recording {i}: {lengths[i]} samples", fontsize="small")
figure.axes[0].legend(fontsize="small")
figure
