"""LDA engines behind one interface: each fits an N × V sparse matrix and returns topic-colour distributions.

- `sklearn`: scikit-learn's variational Bayes LDA, the analysis's engine (and the only one that takes tf-idf).
  `n_jobs=1` inside a fit: its `n_jobs` changes results, not only speed, so parallelism goes across fits.
- `tomotopy`: collapsed Gibbs sampling (tomotopy, C++), single-threaded per fit, started from a chain that comes
  down to K from an over-complete exploratory fit, merging one topic at a time, and stopped when the log-likelihood
  per word stops improving (`gibbs`). It recovers planted topics far better and faster (see the benchmark).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from bcanalysis.topics import gibbs

ENGINES = ("tomotopy", "sklearn")

#: tomotopy defaults; see `bcanalysis.topics.gibbs`.
TOMOTOPY_DEFAULTS = gibbs.DEFAULTS


@dataclass
class EngineFit:
    """What an engine returns: normalised topics, the engine's raw state to persist, and diagnostics."""

    components: np.ndarray
    doc_topic_prior: float
    state: dict[str, np.ndarray] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    n_iter: int = 0
    log_likelihood: float | None = None  # the engine's training objective, where it has one


def check_engine(engine: str) -> str:
    """Return `engine` if known, else raise ValueError naming it."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    return engine


def fit_sklearn(X: sp.csr_matrix, n_topics: int, random_state: int | None, **kw: Any) -> EngineFit:
    """scikit-learn's LatentDirichletAllocation with its defaults unless overridden; one core per fit."""
    from sklearn.decomposition import LatentDirichletAllocation

    kw.setdefault("n_jobs", None)
    lda = LatentDirichletAllocation(n_components=n_topics, random_state=random_state, **kw).fit(X)
    comp = lda.components_ / lda.components_.sum(axis=1, keepdims=True)
    state = {
        "components_": lda.components_,
        "exp_dirichlet_component_": lda.exp_dirichlet_component_,
        "scalars": np.array([lda.doc_topic_prior_, lda.topic_word_prior_, lda.bound_, lda.n_iter_, lda.n_batch_iter_]),
    }
    params = {k: v for k, v in lda.get_params().items() if isinstance(v, (int, float, str, bool, type(None)))}
    loglik = -np.log(lda.bound_) * float(X.sum())  # bound_ is the training perplexity, exp(-bound / words)
    return EngineFit(comp, float(lda.doc_topic_prior_), state, params, int(lda.n_iter_), float(loglik))


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


def fit_tomotopy(X: sp.csr_matrix, n_topics: int, random_state: int | None, **kw: Any) -> EngineFit:
    """Collapsed Gibbs LDA in tomotopy on integer counts, started from an over-complete fit (see `gibbs`)."""
    components, opts, n_iter, loglik = gibbs.fit(X, n_topics, random_state, **kw)
    return EngineFit(components, opts["alpha"], {}, opts, n_iter, loglik)


def check_options(engine: str, options: dict[str, Any]) -> None:
    """Check engine keywords before any fit runs: unknown names raise TypeError, bad values ValueError naming them."""
    if check_engine(engine) == "tomotopy":
        gibbs.check_options(dict(options))
        return
    from sklearn.decomposition import LatentDirichletAllocation

    if "n_components" in options or "random_state" in options:
        raise TypeError("give n_components and random_state as n_topics and random_state, not as engine options")
    try:
        lda = LatentDirichletAllocation(**options)
    except TypeError as exc:
        raise TypeError(f"unknown sklearn options: {exc}") from exc
    validate = getattr(lda, "_validate_params", None)  # scikit-learn's own checks, as its fit runs them
    if validate is not None:
        validate()


def options_of(engine: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """The options among an engine's resolved `params` that differ from its defaults (None when none does): what a
    caller gave to get them. The topic count and seed are parameters of the model, never options."""
    if engine == "sklearn":
        from sklearn.decomposition import LatentDirichletAllocation

        defaults = LatentDirichletAllocation().get_params()
        skip = {"n_components", "random_state", "n_jobs"}
    else:
        defaults, skip = TOMOTOPY_DEFAULTS, set()
    given = {k: v for k, v in params.items() if k not in skip and (k not in defaults or defaults[k] != v)}
    return given or None


def fit_engine(engine: str, X: sp.csr_matrix, n_topics: int, random_state: int | None, **kw: Any) -> EngineFit:
    """Dispatch to the named engine."""
    return {"sklearn": fit_sklearn, "tomotopy": fit_tomotopy}[check_engine(engine)](X, n_topics, random_state, **kw)
