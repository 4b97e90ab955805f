"""Reference values for shared/domain/drift/stats.ts, computed with SciPy.

Pinned: Python 3.11, numpy==2.1.3, scipy==1.14.1. Run from a throwaway venv outside the repo:

    python3 -m venv ~/.cache/strata/scipy-venv
    ~/.cache/strata/scipy-venv/bin/pip install numpy==2.1.3 scipy==1.14.1
    ~/.cache/strata/scipy-venv/bin/python test/drift-vectors/make_vectors.py > test/drift-vectors/vectors.json

Samples are rounded to 6 decimals before the statistics are computed, so the JSON holds exactly the
inputs SciPy saw.
"""

import json

import numpy as np
import scipy
from scipy import stats
from scipy.spatial.distance import jensenshannon

rng = np.random.default_rng(20240505)
PSI_EPSILON = 1e-4
BOTH = ('auto', 'asymp')
PERCENTILES = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]


def r6(x):
    return np.round(x, 6)


def psi(expected, actual):
    p = np.maximum(np.asarray(expected, float) / np.sum(expected), PSI_EPSILON)
    q = np.maximum(np.asarray(actual, float) / np.sum(actual), PSI_EPSILON)
    return float(np.sum((q - p) * np.log(q / p)))


def edges_of(reference, bins=10):
    return np.unique(np.quantile(reference, [i / bins for i in range(1, bins)]))


def counts_of(values, edges):
    return np.bincount(np.searchsorted(edges, values, side='left'), minlength=len(edges) + 1)


def numeric_case(name, a, b, methods=('auto',)):
    a = [float(v) for v in a]
    b = [float(v) for v in b]
    ks = {}
    for m in methods:
        res = stats.ks_2samp(a, b, method=m)
        ks[m] = {'statistic': float(res.statistic), 'pValue': float(res.pvalue)}
    mw = stats.mannwhitneyu(a, b, alternative='two-sided', method='asymptotic', use_continuity=True)
    edges = edges_of(np.array(a))
    ca = counts_of(np.array(a), edges)
    cb = counts_of(np.array(b), edges)
    sa, sb = np.std(a, ddof=1), np.std(b, ddof=1)
    return {
        'name': name,
        'kind': 'numeric',
        'a': a,
        'b': b,
        'ks': ks,
        'mannWhitney': {'statistic': float(mw.statistic), 'pValue': float(mw.pvalue)},
        'binEdges': [float(e) for e in edges],
        'binCountsA': [int(c) for c in ca],
        'binCountsB': [int(c) for c in cb],
        'psi': psi(ca, cb),
        'jsDivergence': float(jensenshannon(ca, cb, base=2) ** 2),
        'meanShiftSd': float((np.mean(b) - np.mean(a)) / sa),
        'stdRatio': float(sb / sa),
        'quantilesA': [float(np.quantile(a, p)) for p in PERCENTILES],
        'quantilesB': [float(np.quantile(b, p)) for p in PERCENTILES],
    }


def categorical_case(name, a, b):
    table = np.array([a, b], dtype=float)
    keep = table.sum(axis=0) > 0
    chi2, p, dof, _ = stats.chi2_contingency(table[:, keep], correction=False)
    return {
        'name': name,
        'kind': 'categorical',
        'a': [int(v) for v in a],
        'b': [int(v) for v in b],
        'chiSquare': {'statistic': float(chi2), 'dof': int(dof), 'pValue': float(p)},
        'psi': psi(a, b),
        'jsDivergence': float(jensenshannon(a, b, base=2) ** 2),
    }


def kstwo_case(n, x):
    return {'n': n, 'x': x, 'sf': float(stats.kstwo.sf(x, n))}


cases = [
    numeric_case('tiny equal sizes', r6(rng.normal(0, 1, 8)), r6(rng.normal(0.5, 1, 8)), BOTH),
    numeric_case('small unequal sizes', r6(rng.normal(0, 1, 15)), r6(rng.normal(1, 1, 22)), BOTH),
    numeric_case('small with ties', rng.integers(0, 5, 30), rng.integers(1, 6, 25), BOTH),
    numeric_case('same distribution', r6(rng.normal(10, 2, 200)), r6(rng.normal(10, 2, 300)), BOTH),
    numeric_case('shifted normal', r6(rng.normal(0, 1, 500)), r6(rng.normal(0.3, 1, 400)), BOTH),
    numeric_case('scaled normal', r6(rng.normal(0, 1, 300)), r6(rng.normal(0, 1.5, 300)), BOTH),
    numeric_case('large shift small n', r6(rng.normal(0, 1, 12)), r6(rng.normal(5, 1, 9)), BOTH),
    numeric_case('exponential vs lognormal', r6(rng.exponential(1, 250)), r6(rng.lognormal(0, 0.6, 180)),
                 BOTH),
    numeric_case('heavy ties integers', rng.integers(0, 3, 600), rng.integers(0, 4, 500), BOTH),
    numeric_case('unequal sizes 1:7', r6(rng.normal(0, 1, 50)), r6(rng.normal(0.2, 1, 350)), BOTH),
    # max(n) > 10 000: 'auto' goes asymptotic; small integers keep the JSON small.
    numeric_case('auto asymptotic, large n', rng.integers(0, 50, 900), rng.integers(0, 52, 10_001),
                 ('auto',)),
    categorical_case('three categories, same', [30, 50, 20], [33, 47, 21]),
    categorical_case('shifted categories', [120, 80, 40, 10], [60, 90, 70, 30]),
    categorical_case('category missing in current', [100, 50, 25, 5], [110, 60, 30, 0]),
    categorical_case('new category in current', [100, 50, 25, 0], [90, 50, 20, 15]),
    categorical_case('two categories', [500, 500], [450, 550]),
    categorical_case('many categories', [int(v) for v in rng.integers(1, 100, 30)],
                     [int(v) for v in rng.integers(1, 100, 30)]),
    categorical_case('extreme difference', [1000, 1, 1], [1, 1000, 1]),
    categorical_case('unused category both sides', [10, 0, 20], [15, 0, 12]),
]
cases = [c for c in cases if c is not None]

a = r6(rng.normal(0, 1, 60))
cases.append(numeric_case('identical samples', a, a, BOTH))

kolmogorov = [
    kstwo_case(n, x)
    for n, x in [(5, 0.15), (5, 0.3), (10, 0.25), (20, 0.1), (50, 0.1), (50, 0.2), (100, 0.05), (100, 0.12),
                 (100, 0.3), (140, 0.02), (141, 0.05), (300, 0.03), (300, 0.06), (300, 0.15), (1000, 0.02),
                 (1000, 0.05), (5000, 0.01), (20000, 0.005), (200000, 0.002), (7, 0.6), (30, 0.9)]
]

print(json.dumps({
    'generator': f'make_vectors.py numpy=={np.__version__} scipy=={scipy.__version__}',
    'psiEpsilon': PSI_EPSILON,
    'percentiles': PERCENTILES,
    'cases': cases,
    'kolmogorovSf': kolmogorov,
}, separators=(',', ':')))
