import numpy as np, aeon.datasets as d
rng = np.random.default_rng(0)
X = [rng.normal(size=(2, n)).round(4) for n in (8, 12, 10, 9, 11)]
X[1][0, 3] = np.nan; X[3][1, 0] = np.nan
y = np.array(["a", "b", "a", "c", "b"])
d.save_to_ts_file(X, y, path=".", problem_name="written_unequal_missing", label_type="classification")
Xe = rng.normal(size=(6, 1, 16)).round(4)
ye = rng.normal(size=6).round(3)
d.save_to_ts_file(Xe, ye, path=".", problem_name="written_regression", label_type="regression")
expected = {}
import glob, os
for f in ["written_unequal_missing.ts", "written_regression.ts", "PickupGestureWiimoteZ_TRAIN.ts", "/work/main/tests/data/archive/JapaneseVowels_TRAIN.ts", "/work/main/tests/data/archive/UnitTestTimeStamps_TRAIN.ts"]:
    print(f)
    try:
        Xl, yl = d.load_from_ts_file(f)
    except Exception as e:
        print("ERR", e); continue
    name = os.path.basename(f).split(".")[0]
    if isinstance(Xl, list):
        for i, a in enumerate(Xl): expected[f"{name}/{i}"] = np.asarray(a, dtype="float64")
    else:
        for i, a in enumerate(Xl): expected[f"{name}/{i}"] = np.asarray(a, dtype="float64")
    expected[f"{name}/labels"] = np.asarray(yl).astype(str) if np.asarray(yl).dtype.kind not in "f" else np.asarray(yl)
Xa, ya = d.load_from_arff_file("BasicMotions_TRAIN.arff")
for i, a in enumerate(Xa): expected[f"BasicMotions_TRAIN_arff/{i}"] = np.asarray(a, dtype="float64")
expected["BasicMotions_TRAIN_arff/labels"] = np.asarray(ya).astype(str)
np.savez_compressed("aeon_loaded.npz", **expected)
print(len(expected))
