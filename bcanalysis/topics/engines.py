"""LDA engines behind one interface: each fits an N × V sparse matrix and returns topic-colour distributions.

- `sklearn`: scikit-learn's variational Bayes LDA, the analysis's engine (and the only one that takes tf-idf).
  `n_jobs=1` inside a fit: its `n_jobs` changes results, not only speed, so parallelism goes across fits.
- `tomotopy`: collapsed Gibbs sampling (tomotopy, C++), single-threaded per fit, stopped when the log-likelihood
  per word stops improving. It recovers planted topics far better and faster (see the benchmark).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

ENGINES = ("tomotopy", "sklearn")

#: tomotopy defaults: a flat Dirichlet(1) over topic mixtures mixed far better than 0.1, 0.5 or 50/K in trials
#: (fewer fits stuck with two planted topics merged); no hyper-parameter optimisation (it trapped fits too).
TOMOTOPY_DEFAULTS = {"alpha": 1.0, "eta": 0.01, "min_iter": 50, "max_iter": 500, "tol": 5e-3}


@dataclass
class EngineFit:
    """What an engine returns: normalised topics, the engine's raw state to persist, and diagnostics."""

    components: np.ndarray
    doc_topic_prior: float
    state: dict[str, np.ndarray] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    n_iter: int = 0


def check_engine(engine: str) -> str:
    """Return `engine` if known, else raise ValueError naming it."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    return engine


def fit_sklearn(X: sp.csr_matrix, n_topics: int, seed: int | None, **kw: Any) -> EngineFit:
    """scikit-learn's LatentDirichletAllocation with its defaults unless overridden; one core per fit."""
    from sklearn.decomposition import LatentDirichletAllocation

    kw.setdefault("n_jobs", None)
    lda = LatentDirichletAllocation(n_components=n_topics, random_state=seed, **kw).fit(X)
    comp = lda.components_ / lda.components_.sum(axis=1, keepdims=True)
    state = {
        "components_": lda.components_,
        "exp_dirichlet_component_": lda.exp_dirichlet_component_,
        "scalars": np.array([lda.doc_topic_prior_, lda.topic_word_prior_, lda.bound_, lda.n_iter_, lda.n_batch_iter_]),
    }
    params = {k: v for k, v in lda.get_params().items() if isinstance(v, (int, float, str, bool, type(None)))}
    return EngineFit(comp, float(lda.doc_topic_prior_), state, params, int(lda.n_iter_))


def sklearn_model(state: dict[str, np.ndarray], params: dict[str, Any]):
    """Rebuild a fitted LatentDirichletAllocation from saved arrays (no pickle)."""
    from sklearn.decomposition import LatentDirichletAllocation

    lda = LatentDirichletAllocation(**params)
    lda.components_ = np.asarray(state["components_"], dtype=np.float64)
    lda.exp_dirichlet_component_ = np.asarray(state["exp_dirichlet_component_"], dtype=np.float64)
    doc_prior, word_prior, bound, n_iter, n_batch = state["scalars"].tolist()
    lda.doc_topic_prior_, lda.topic_word_prior_, lda.bound_ = doc_prior, word_prior, bound
    lda.n_iter_, lda.n_batch_iter_ = int(n_iter), int(n_batch)
    lda.n_features_in_ = lda.components_.shape[1]
    lda.random_state_ = np.random.mtrand.RandomState(params.get("random_state"))
    return lda


def fit_tomotopy(X: sp.csr_matrix, n_topics: int, seed: int | None, **kw: Any) -> EngineFit:
    """Collapsed Gibbs LDA in tomotopy on integer counts, in blocks of 10 sweeps until the gain per word < tol."""
    import tomotopy as tp

    opts = {**TOMOTOPY_DEFAULTS, **kw}
    unknown = set(opts) - set(TOMOTOPY_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown tomotopy options: {', '.join(sorted(unknown))}")
    if X.data.size and (X.data != np.round(X.data)).any():
        raise ValueError("engine='tomotopy' needs integer counts; use weighting='count' or 'proportion'")
    if n_topics == 1:  # every word is in the one topic: the posterior is exact, nothing to sample
        phi = np.asarray(X.sum(axis=0), dtype=np.float64).ravel() + opts["eta"]
        return EngineFit((phi / phi.sum())[None, :], opts["alpha"], {}, opts, 0)
    seed = np.random.SeedSequence().generate_state(1)[0] if seed is None else seed
    model = tp.LDAModel(k=n_topics, alpha=opts["alpha"], eta=opts["eta"], seed=int(seed) % 2**32)
    model.optim_interval = 0
    words = np.array([str(j) for j in range(X.shape[1])], dtype=object)  # column j is the word "j"
    tokens = words[np.repeat(X.indices, X.data.astype(np.int64))]
    ends = np.cumsum(np.asarray(X.sum(axis=1)).ravel().astype(np.int64))
    for doc in np.split(tokens, ends[:-1]):
        if len(doc):
            model.add_doc(doc.tolist())
    n_iter, last = 0, -np.inf
    while n_iter < opts["max_iter"]:
        model.train(10, workers=1)
        n_iter += 10
        ll = model.ll_per_word
        if n_iter >= opts["min_iter"] and ll - last < opts["tol"]:
            break
        last = ll
    return EngineFit(_tomotopy_topics(model, X.shape[1], opts["eta"]), opts["alpha"], {}, opts, n_iter)


def _tomotopy_topics(model, n_words: int, eta: float) -> np.ndarray:
    """Topic-word distributions over all `n_words` columns, including words tomotopy never saw in training."""
    used = np.array([int(w) for w in model.used_vocabs], dtype=np.int64)
    n_k = np.asarray(model.get_count_by_topics(), dtype=np.float64)
    phi = np.empty((model.k, n_words))
    for k in range(model.k):
        dist = np.asarray(model.get_topic_word_dist(k), dtype=np.float64)
        counts = np.zeros(n_words)
        counts[used] = np.maximum(dist * (n_k[k] + len(used) * eta) - eta, 0.0)
        phi[k] = counts + eta
    return phi / phi.sum(axis=1, keepdims=True)


def fit_engine(engine: str, X: sp.csr_matrix, n_topics: int, seed: int | None, **kw: Any) -> EngineFit:
    """Dispatch to the named engine."""
    return {"sklearn": fit_sklearn, "tomotopy": fit_tomotopy}[check_engine(engine)](X, n_topics, seed, **kw)
