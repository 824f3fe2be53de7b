# %% [markdown]
# # What each unit means, and how many units the signals need
#
# The embedded oscillations are made from four quantities: amplitude, frequency, decay time
# and phase. A model never sees them; here we ask its code which unit carries which of them
# (`sigae latent factors`), watch the frequency unit sweep the frequency, ask how many units
# the signals need (`sigae latent size`), and ask PCA's code of the same size the same
# questions.

# %%
# %matplotlib inline
import numpy as np
from matplotlib.figure import Figure

import sigae
from sigae import latent
from sigae.study import plotting
from sigae.study.factors import factors
from sigae.study.size import size

data = sigae.datasets.oscillations(1000, length=64, seed=0, factors=True)
model = sigae.SignalAutoencoder.from_preset("default", length=64, latent_dim=6, seed=0)
model.fit(data.train, epochs=40, seed=0, verbose=0)
print(model.comparison.summary())

# %% [markdown]
# ## Which unit carries which quantity
#
# For each quantity, how well it can be read from the code (cross-validated R² of a small
# neural network, and of least squares), and the importance of each unit for it (DCI:
# disentanglement, completeness, informativeness), beside PCA codes of the same size. The
# phase is an angle: it is read through its sine and cosine.

# %%
result = factors(model, data.train, data.train_factors)
print("\n".join(result.lines()))
plotting.plot_factors(result)

# %% [markdown]
# ## The frequency unit, moved
#
# The unit that carries the frequency most, moved across two standard deviations around
# the mean code; the frequency of each decoded signal (the peak of its spectrum) follows it.

# %%
unit = result.units()[result.names.index("frequency")][0]
mean_code = model.calibration.gaussian.means[0]
_, decoded = latent.traverse(model, mean_code, [unit], steps=7)
spectrum = np.abs(np.fft.rfft(decoded[0, :, :, 0], axis=1))
peaks = np.argmax(spectrum[:, 1:], axis=1) + 1  # cycles per signal
figure = Figure(figsize=(9, 3), layout="constrained")
signals, sweep = figure.subplots(1, 2, width_ratios=[2, 1])
for step, signal in enumerate(decoded[0, :, :, 0]):
    signals.plot(signal + 2 * step, color="tab:blue", linewidth=1)
signals.set_title(f"unit z{unit} from -2 to +2 standard deviations")
signals.set_yticks([])
sweep.plot(np.linspace(-2, 2, 7), peaks, "o-")
sweep.set_xlabel(f"z{unit} (standard deviations)")
sweep.set_ylabel("frequency (cycles per signal)")
figure

# %% [markdown]
# ## How many units
#
# The default design trained at each size (short, seeded runs: 20 epochs here), PCA at each
# size on the same validation signals, and the TwoNN estimate of how many numbers the signals
# are made from. Four quantities make them; the phase is an angle, a circle, which a code
# holds in two numbers. Where each unit more still helps at the largest size tried, the curve
# cannot say where to stop, and the suggestion is the intrinsic dimension (the `why` says
# which); `sigae latent size DATA --dims 2,3,4,5,6,8 --out DIR` is the same on the command
# line, with a progress line per size.

# %%
sized = size(data.train, [2, 4, 6], epochs=20, seed=0)
print("\n".join(sized.lines()))
plotting.plot_size(sized)

# %% [markdown]
# ## What PCA's code says
#
# PCA's code of the same size holds the same information in another arrangement: its R²
# and DCI are in the table above beside the model's. A linear code needs far more numbers
# to reconstruct these signals (the curve above), because the frequency bends them along a
# curve no flat subspace follows.
