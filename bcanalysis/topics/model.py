"""`fit` and `ColorTopicModel`: colour topics over quantised palettes, saved as JSON + NPZ (never pickle)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from bcanalysis.colorspace import rgb_to_hls
from bcanalysis.defaults import BITS, N_TOPICS
from bcanalysis.quantize import check_bits, to_words
from bcanalysis.topics import modelfile
from bcanalysis.topics.engines import EngineFit, check_engine, check_options, fit_engine, sklearn_model
from bcanalysis.topics.modelfile import FORMAT_VERSION, ModelFileError  # noqa: F401 - part of this module's API
from bcanalysis.topics.vectorize import WEIGHTINGS, DocTerm, in_first_seen_order, vectorize, weighted

DEFAULT_WEIGHTING = "count"
DEFAULT_ENGINE = "tomotopy"
#: Engine arrays with one row per topic, permuted with the topics (`ColorTopicModel.permuted`).
TOPIC_STATE = ("components_", "exp_dirichlet_component_")



class ColorTopicModel:
    """Fitted colour topics: `components_` (K × V, rows sum to 1) over the colours `colors_` (V × 3 uint8).

    Named as scikit-learn names estimators: what the fit learned ends in an underscore (`components_`, `colors_`,
    `vocabulary_`, `doc_topic_prior_`, `state_`: the engine's own arrays); how it was fitted does not (`bits`,
    `space`, `weighting`, `engine`, `params`), nor the fit's record (`meta`: seed, iterations, likelihood, …).
    """

    def __init__(
        self,
        components: np.ndarray,
        colors: np.ndarray,
        bits: int,
        *,
        weighting: str,
        engine: str,
        doc_topic_prior: float,
        params: dict[str, Any] | None = None,
        state: dict[str, np.ndarray] | None = None,
        meta: dict[str, Any] | None = None,
        space: str = "rgb",
    ):
        self.space = space
        self.components_ = np.asarray(components, dtype=np.float64)
        self.colors_ = np.asarray(colors, dtype=np.uint8)
        self.bits = check_bits(bits)
        self.weighting, self.engine = weighting, engine
        self.doc_topic_prior_ = float(doc_topic_prior)
        self.params = dict(params or {})
        self.state_ = dict(state or {})
        self.meta = dict(meta or {})
        self._sklearn = None

    def __repr__(self) -> str:
        return (
            f"ColorTopicModel(n_topics={self.n_topics}, bits={self.bits}{self._space_repr}, "
            f"vocabulary={len(self.colors_)}, "
            f"weighting={self.weighting!r}, engine={self.engine!r})"
        )

    @property
    def _space_repr(self) -> str:
        return "" if self.space == "rgb" else f", space={self.space!r}"

    @property
    def n_topics(self) -> int:
        return self.components_.shape[0]

    @property
    def vocabulary_(self) -> list[str]:
        """Hex word of each column of `components_`."""
        return to_words(self.colors_)

    # --- using the model -----------------------------------------------------------------------------------

    def doc_term(self, palettes: Sequence[Any]) -> DocTerm:
        """Palettes as counts over this model's vocabulary (colours it never saw are dropped)."""
        return vectorize(palettes, self.bits, colors=self.colors_, space=self.space)

    def transform(self, palettes: Sequence[Any]) -> np.ndarray:
        """Topic mixture of each palette (N × K, rows sum to 1)."""
        return self.transform_matrix(self.doc_term(palettes))

    def transform_matrix(self, doc_term: DocTerm) -> np.ndarray:
        """`transform` for an already vectorised corpus with this model's vocabulary."""
        if self.engine == "sklearn":
            return self._lda().transform(self._engine_input(doc_term))  # already normalised, as the Pipeline's
        return fold_in(weighted(doc_term, self.weighting), self.components_, self.doc_topic_prior_)

    def perplexity(self, palettes: Sequence[Any], random_state: int = 0) -> float:
        """Held-out perplexity by document completion on word counts: comparable across weightings, engines and K."""
        return completion_perplexity(self, self.doc_term(palettes).counts, random_state)

    def permuted(self, order: Sequence[int]) -> ColorTopicModel:
        """A copy whose topic i is this model's topic `order[i]` (the engine's per-topic arrays permuted alike, so
        `transform` gives the same mixtures with their columns in the new order)."""
        order = np.asarray(order, dtype=np.int64)
        if sorted(order.tolist()) != list(range(self.n_topics)):
            raise ValueError(f"order must be a permutation of 0..{self.n_topics - 1}, got {order.tolist()}")
        state = {k: (np.asarray(v)[order] if k in TOPIC_STATE else v) for k, v in self.state_.items()}
        meta = dict(self.meta)
        meta["engine_topics"] = [int(i) for i in np.asarray(meta.get("engine_topics", range(self.n_topics)))[order]]
        meta.pop("topic_shares", None)
        return ColorTopicModel(self.components_[order], self.colors_, self.bits, weighting=self.weighting,
                               engine=self.engine, doc_topic_prior=self.doc_topic_prior_, params=self.params,
                               state=state, meta=meta, space=self.space)

    def by_share(self, palettes: Sequence[Any]) -> ColorTopicModel:
        """This model with its topics numbered by their share of `palettes` (the mean of the palettes' topic
        mixtures, as `topics.topic_shares`), largest first: topic 0 is the one covers wear most. The shares are kept
        in `meta["topic_shares"]`. The numbering every view of a model shows; `fit` and `sweep` apply it."""
        return self._by_share(self.doc_term(palettes))

    def _by_share(self, doc_term: DocTerm) -> ColorTopicModel:
        """`by_share` for palettes already vectorised over this model's vocabulary."""
        shares = self.transform_matrix(doc_term).mean(axis=0)
        order = np.argsort(-shares, kind="stable")
        model = self.permuted(order)
        model.meta["topic_shares"] = [float(v) for v in shares[order]]
        return model

    def top_colors(self, k: int, n: int = 15, order: str = "weight") -> np.ndarray:
        """The `n` heaviest colours of topic `k` (n × 3 uint8), by weight or sorted by (hue, lightness, saturation)."""
        idx = self.top_indices(k, n)
        if order == "hls":
            hls = rgb_to_hls(self.colors_[idx])
            idx = idx[np.lexsort((hls[:, 2], hls[:, 1], hls[:, 0]))]
        elif order != "weight":
            raise ValueError(f"order must be 'weight' or 'hls', got {order!r}")
        return self.colors_[idx]

    def top_indices(self, k: int, n: int = 15) -> np.ndarray:
        """Column indices of topic `k`'s `n` heaviest colours, heaviest first (ties by column)."""
        if not 0 <= k < self.n_topics:
            raise ValueError(f"topic must be in 0..{self.n_topics - 1}, got {k}")
        return np.argsort(-self.components_[k], kind="stable")[:n]

    def top_weights(self, k: int, n: int = 15) -> np.ndarray:
        """Weights of topic `k`'s `n` heaviest colours, matching `top_colors(k, n)`."""
        return self.components_[k, self.top_indices(k, n)]

    def topic_label(self, k: int, n: int = 3) -> str:
        """A topic as words: the XKCD names of its `n` most distinctive colours, e.g. 'dark teal · mustard · off
        white' (`colornames.topic_names`: names it wears more than the other topics, not the greys all share)."""
        if not 0 <= k < self.n_topics:
            raise ValueError(f"topic must be in 0..{self.n_topics - 1}, got {k}")
        return self.topic_labels(n)[k]

    def topic_labels(self, n: int = 3) -> list[str]:
        """`topic_label` of every topic (worked out once per set of topics and kept)."""
        from bcanalysis.colornames import topic_names

        key = (n, self.components_.shape, hash(self.components_.tobytes()), hash(self.colors_.tobytes()))
        if getattr(self, "_labels", (None,))[0] != key:
            self._labels = (key, [" · ".join(names) for names in topic_names(self.components_, self.colors_, n)])
        return list(self._labels[1])

    def topic_colors(self) -> np.ndarray:
        """Each topic's own colour (K × 3 uint8): the heaviest of the colours bearing its first name."""
        from bcanalysis.colornames import topic_colors

        return topic_colors(self.components_, self.colors_)

    # --- engine internals ----------------------------------------------------------------------------------

    def _engine_input(self, doc_term: DocTerm) -> sp.csr_matrix:
        X = weighted(doc_term, self.weighting)
        if self.weighting == "tfidf":
            return _tfidf(idf=self.state_["idf"]).transform(X.astype(np.float64), copy=False)
        return X

    def _lda(self):
        if self._sklearn is None:
            self._sklearn = sklearn_model(self.state_, self.params)
        return self._sklearn

    # --- files ---------------------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write `<path>.json` (metadata) and `<path>.npz` (arrays), each atomically; returns the JSON path."""
        return modelfile.write(self, path)

    @classmethod
    def load(cls, path: str | Path) -> ColorTopicModel:
        """Read a model written by `save` (either file's path). Every field and array is checked first: anything
        damaged, inconsistent or from another format version raises `ModelFileError` naming the file and fault."""
        return cls(**modelfile.read(path))


def _tfidf(idf: np.ndarray | None = None):
    """TfidfVectorizer's default weighting (smooth idf, l2 rows), optionally with a fitted idf."""
    from sklearn.feature_extraction.text import TfidfTransformer

    t = TfidfTransformer()
    if idf is not None:
        t.idf_ = np.asarray(idf, dtype=np.float64)
    return t


# --- inference helpers -------------------------------------------------------------------------------------


def fold_in(X: sp.csr_matrix, components: np.ndarray, alpha: float, n_iter: int = 100, tol: float = 1e-4,
            chunk: int = 4096) -> np.ndarray:
    """Topic mixtures of documents under fixed topics (EM fold-in with α pseudo-counts), chunked: flat memory."""
    X = sp.csr_matrix(X, dtype=np.float64)
    phi_t = np.ascontiguousarray(components.T)
    out = np.empty((X.shape[0], components.shape[0]))
    for lo in range(0, X.shape[0], chunk):
        out[lo : lo + chunk] = _fold_chunk(X[lo : lo + chunk], phi_t, alpha, n_iter, tol)
    return out


def _fold_chunk(X: sp.csr_matrix, phi_t: np.ndarray, alpha: float, n_iter: int, tol: float) -> np.ndarray:
    n, K = X.shape[0], phi_t.shape[1]
    rows = np.repeat(np.arange(n), np.diff(X.indptr))
    theta = np.full((n, K), 1.0 / K)
    live = np.ones(n, dtype=bool)  # each document stops on its own, so results do not depend on chunking
    for _ in range(n_iter):  # θ ∝ α + expected topic counts: the Gibbs estimate's form, defined for empty docs
        denom = np.einsum("ik,ik->i", theta[rows], phi_t[X.indices])
        R = sp.csr_matrix((X.data / denom, X.indices, X.indptr), shape=X.shape)
        new = theta * (R @ phi_t) + alpha
        new /= new.sum(axis=1, keepdims=True)
        moved = np.abs(new - theta).max(axis=1) >= tol
        theta[live] = new[live]
        live &= moved
        if not live.any():
            break
    return theta


def split_tokens(X: sp.csr_matrix, random_state: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Each document's tokens split at random into two halves (binomial per word), for document completion."""
    rng = np.random.default_rng(random_state)
    X = sp.csr_matrix(X)
    first = rng.binomial(X.data.astype(np.int64), 0.5)
    a = sp.csr_matrix((first, X.indices.copy(), X.indptr.copy()), shape=X.shape)
    b = sp.csr_matrix((X.data - first, X.indices.copy(), X.indptr.copy()), shape=X.shape)
    return a, b


def completion_loglik(model: ColorTopicModel, counts: sp.csr_matrix, random_state: int = 0,
                      chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Per document: the log-likelihood of its second half of tokens given the mixture inferred from its first
    half, and that half's number of tokens (document completion; two arrays, one entry per row of `counts`)."""
    observed, held = split_tokens(counts, random_state)
    phi = model.components_
    loglik, words = np.zeros(counts.shape[0]), np.zeros(counts.shape[0])
    for lo in range(0, counts.shape[0], chunk):  # chunks keep memory flat in the number of documents
        theta = fold_in(observed[lo : lo + chunk], phi, model.doc_topic_prior_)
        h = held[lo : lo + chunk].tocsr()
        h.eliminate_zeros()
        rows = np.repeat(np.arange(h.shape[0]), np.diff(h.indptr))
        p = np.einsum("ik,ki->i", theta[rows], phi[:, h.indices])
        loglik[lo : lo + h.shape[0]] = np.bincount(rows, h.data * np.log(p), minlength=h.shape[0])
        words[lo : lo + h.shape[0]] = np.asarray(h.sum(axis=1)).ravel()
    return loglik, words


def completion_perplexity(model: ColorTopicModel, counts: sp.csr_matrix, random_state: int = 0,
                          chunk: int = 4096) -> float:
    """exp(−log-likelihood per word) of each document's second half, given the mixture inferred from its first."""
    loglik, words = completion_loglik(model, counts, random_state, chunk)
    if words.sum() == 0:
        raise ValueError("documents too short for held-out perplexity (no held-out words)")
    return float(np.exp(-loglik.sum() / words.sum()))


# --- fitting -----------------------------------------------------------------------------------------------


def check_n_topics(n_topics: Any, vocabulary_size: int) -> int:
    """Return `n_topics` as int if 1 <= n <= vocabulary size, else raise ValueError naming it."""
    if isinstance(n_topics, bool) or not isinstance(n_topics, (int, np.integer)) or n_topics < 1:
        raise ValueError(f"n_topics must be an integer >= 1, got {n_topics!r}")
    if n_topics > vocabulary_size:
        raise ValueError(f"n_topics={n_topics} is more than the vocabulary ({vocabulary_size} colours at this depth)")
    return int(n_topics)


def check_random_state(random_state: Any) -> None:
    """Raise ValueError unless `random_state` is None or an integer >= 0."""
    if random_state is not None and (isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer))
                                     or random_state < 0):
        raise ValueError(f"random_state must be None or an integer >= 0, got {random_state!r}")


def check_weighting(weighting: str, engine: str) -> None:
    """Raise ValueError for an unknown weighting or one the engine cannot take."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}, got {weighting!r}")
    if weighting == "tfidf" and check_engine(engine) != "sklearn":
        raise ValueError(f"weighting='tfidf' is real-valued: it needs engine='sklearn', got engine={engine!r}")


def fit_doc_term(
    doc_term: DocTerm, n_topics: int, *, weighting: str, engine: str, random_state: int | None, **kw: Any
) -> ColorTopicModel:
    """Fit one model to a vectorised corpus (no restarts): the unit of work `fit` and `sweep` share."""
    check_weighting(weighting, engine)
    n_topics = check_n_topics(n_topics, len(doc_term.colors))
    X = weighted(doc_term, weighting)
    state: dict[str, np.ndarray] = {}
    if weighting == "tfidf":
        tfidf = _tfidf()
        if doc_term.first_seen is not None:
            X = in_first_seen_order(X, doc_term.first_seen)
        tfidf.fit(X)
        X = tfidf.transform(X, copy=False)  # as TfidfVectorizer.fit_transform does
        state["idf"] = tfidf.idf_
    res: EngineFit = fit_engine(engine, X, n_topics, random_state, **kw)
    meta = {"random_state": random_state, "n_iter": res.n_iter, "n_documents": doc_term.n_docs}
    if res.log_likelihood is not None:
        meta["log_likelihood"] = res.log_likelihood
    return ColorTopicModel(
        res.components, doc_term.colors, doc_term.bits, weighting=weighting, engine=engine,
        doc_topic_prior=res.doc_topic_prior, params=res.params, state={**state, **res.state}, meta=meta,
        space=doc_term.space,
    )


def holdout_split(n_docs: int, fraction: float, random_state: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Training and held-out row indices (held-out ≈ `fraction`, at least one document each when possible)."""
    order = np.random.default_rng(random_state).permutation(n_docs)
    n_held = min(max(1, round(n_docs * fraction)), n_docs - 1) if n_docs > 1 else 0
    return np.sort(order[n_held:]), np.sort(order[:n_held])


def fit(
    palettes: Sequence[Any],
    *,
    bits: int = BITS,
    n_topics: int = N_TOPICS,
    weighting: str = DEFAULT_WEIGHTING,
    engine: str = DEFAULT_ENGINE,
    random_state: int | None = None,
    n_restarts: int = 1,
    space: str = "rgb",
    **kw: Any,
) -> ColorTopicModel:
    """Fit colour topics to palettes ((r, g, b), (r, g, b, proportion) or colorgram colours, one list per album;
    or `Corpus.palette_arrays()`, the fast way for a large corpus).

    Defaults: colour counts into tomotopy's collapsed Gibbs sampler, best at recovering planted topics (benchmarks/).
    `weighting='tfidf', engine='sklearn'` reproduces the analysis's Pipeline([TfidfVectorizer(), LDA]) exactly.
    With `n_restarts > 1`, every restart is fitted on all palettes and the one with the highest training
    log-likelihood (`meta["log_likelihood"]`: tomotopy's collapsed log p(words, assignments), scikit-learn's variational
    bound) is kept (held-out perplexity missed merged topics). `space` bins colours in RGB (the analysis's), HLS or
    OKLab (see `quantize`). Extra keywords go to the engine (e.g. `max_iter`, `alpha`; see `bcanalysis.topics.gibbs`).
    """
    check_weighting(weighting, engine)
    check_options(engine, kw)
    check_random_state(random_state)
    if isinstance(n_restarts, bool) or not isinstance(n_restarts, (int, np.integer)) or n_restarts < 1:
        raise ValueError(f"n_restarts must be an integer >= 1, got {n_restarts!r}")
    doc_term = vectorize(palettes, bits, space=space)
    check_n_topics(n_topics, len(doc_term.colors))
    if n_restarts == 1:
        best = fit_doc_term(doc_term, n_topics, weighting=weighting, engine=engine, random_state=random_state, **kw)
        return best._by_share(doc_term)  # the fit's vocabulary is the palettes': no second vectorisation
    seeds = restart_seeds(random_state, n_restarts)
    models = [fit_doc_term(doc_term, n_topics, weighting=weighting, engine=engine, random_state=s, **kw)
              for s in seeds]
    lls = [m.meta["log_likelihood"] for m in models]
    best = models[int(np.argmax(lls))]
    best.meta["restarts"] = [int(s) for s in seeds]
    best.meta["restart_log_likelihoods"] = [float(v) for v in lls]
    return best._by_share(doc_term)


def restart_seeds(random_state: int | None, n: int, *key: int) -> list[int]:
    """`n` independent 31-bit seeds derived from `random_state` (and an optional key such as (bits, K))."""
    entropy = np.random.SeedSequence().entropy if random_state is None else random_state
    return [int(s) for s in np.random.SeedSequence([int(entropy), *key]).generate_state(n) % 2**31]
