"""`ColorTopics`: colour topics over quantised palettes as a scikit-learn style estimator, saved as JSON + NPZ
(never pickle)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from bcanalysis.checks import Interval, OneOf, check_params, check_scalar
from bcanalysis.colorspace import rgb_to_hls
from bcanalysis.defaults import BITS, N_TOPICS
from bcanalysis.quantize import SPACES, Depth, to_words
from bcanalysis.topics import modelfile
from bcanalysis.topics.engines import (
    ENGINES,
    EngineFit,
    check_options,
    fit_engine,
    options_of,
    sklearn_model,
)
from bcanalysis.topics.modelfile import FORMAT_VERSION, ModelFileError  # noqa: F401 - part of this module's API
from bcanalysis.topics.vectorize import WEIGHTINGS, DocTerm, in_first_seen_order, vectorize, weighted

DEFAULT_WEIGHTING = "count"
DEFAULT_ENGINE = "tomotopy"
#: Engine arrays with one row per topic, permuted with the topics (`ColorTopics.permuted`).
TOPIC_STATE = ("components_", "exp_dirichlet_component_")


class ColorTopics(BaseEstimator):
    """Colour topics: LDA over palettes quantised to colour words, as a scikit-learn estimator.

        model = ColorTopics(bits=12, n_topics=18, random_state=0).fit(palettes)
        model.transform(palettes)                       # N × K topic mixtures
        model.save("models/k18"); ColorTopics.load("models/k18")

    The parameters say how to fit; `__init__` only stores them, `fit` checks them once against
    `_parameter_constraints` (TypeError / ValueError naming the parameter and value), and `get_params`,
    `set_params` and `sklearn.base.clone` work as for any scikit-learn estimator. What the fit learned ends in an
    underscore: `components_` (K × V, rows sum to 1) over the colours `colors_` (V × 3 uint8; `vocabulary_` their
    hex words), `doc_topic_prior_`, `engine_params_` (the engine's options as it ran), `state_` (the engine's own
    arrays) and `meta_` (the fit's record: the seed of the fit kept, iterations, likelihood, the engine's topic
    order, each topic's share, …).

    `palettes`: one palette per album, as (r, g, b), (r, g, b, proportion) or colorgram colours, or
    `Corpus.palette_arrays()` (the fast way for a large corpus). Defaults: colour counts into tomotopy's collapsed
    Gibbs sampler, which recovers planted topics best (README); `weighting='tfidf', engine='sklearn'` reproduces the
    analysis's Pipeline([TfidfVectorizer(), LDA]) exactly. `space` bins colours in RGB (the analysis's), HLS or OKLab
    (`quantize`). With `n_restarts > 1` every restart is fitted on all palettes and the one with the highest
    training log-likelihood (`meta_["log_likelihood"]`: tomotopy's collapsed log p(words, assignments),
    scikit-learn's variational bound) is kept (held-out perplexity missed merged topics). `engine_options` go to the
    engine (e.g. `{"max_iter": 50, "alpha": 0.1}`; see `bcanalysis.topics.gibbs`), checked before it runs.
    """

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "bits": Depth(),
        "n_topics": Interval(int, 1),
        "space": OneOf(SPACES),
        "weighting": OneOf(WEIGHTINGS),
        "engine": OneOf(ENGINES),
        "n_restarts": Interval(int, 1),
        "random_state": Interval(int, 0, none=True),
    }

    def __init__(
        self,
        bits: int = BITS,
        n_topics: int = N_TOPICS,
        *,
        space: str = "rgb",
        weighting: str = DEFAULT_WEIGHTING,
        engine: str = DEFAULT_ENGINE,
        n_restarts: int = 1,
        random_state: int | None = None,
        engine_options: dict[str, Any] | None = None,
    ):
        self.bits = bits
        self.n_topics = n_topics
        self.space = space
        self.weighting = weighting
        self.engine = engine
        self.n_restarts = n_restarts
        self.random_state = random_state
        self.engine_options = engine_options

    # --- fitting -------------------------------------------------------------------------------------------

    def checked_params(self) -> dict[str, Any]:
        """The parameters, each checked against `_parameter_constraints` and against each other (tf-idf needs the
        sklearn engine; the engine options must be ones the engine takes): what `fit` runs first."""
        params = check_params(self.get_params(), self._parameter_constraints)
        if params["weighting"] == "tfidf" and params["engine"] != "sklearn":
            raise ValueError(
                f"weighting='tfidf' is real-valued: it needs engine='sklearn', got engine={params['engine']!r}"
            )
        options = params["engine_options"]
        if options is not None and not isinstance(options, dict):
            raise TypeError(f"engine_options must be a dict or None, got {options!r}")
        check_options(params["engine"], dict(options or {}))
        return params

    def fit(self, palettes: Sequence[Any], y: Any = None) -> ColorTopics:
        """Fit to palettes and number the topics by their share of them, largest first (`by_share`); returns self.
        `y` is ignored (scikit-learn's signature)."""
        params = self.checked_params()
        doc_term = vectorize(palettes, params["bits"], space=params["space"])
        self._fit(doc_term, params)
        order, shares = self._share_order(doc_term)  # the fit's vocabulary is the palettes': no second vectorising
        self._permute(order)
        self.meta_["topic_shares"] = shares
        return self

    def fit_doc_term(self, doc_term: DocTerm) -> ColorTopics:
        """Fit to palettes already vectorised at this depth and space (`vectorize`), topics in the engine's order:
        the step `fit` and each cell of `sweep` share (the sweep numbers its models by share of every palette it
        swept). Returns self."""
        params = self.checked_params()
        if (doc_term.bits, doc_term.space) != (params["bits"], params["space"]):
            raise ValueError(
                f"the palettes were vectorised at {doc_term.bits} bit in {doc_term.space!r}, the model "
                f"fits {params['bits']} bit in {params['space']!r}"
            )
        self._fit(doc_term, params)
        return self

    def _fit(self, doc_term: DocTerm, params: dict[str, Any]) -> None:
        """One fit per restart (the seed itself for one restart), the one with the highest likelihood kept."""
        check_n_topics(params["n_topics"], len(doc_term.colors))
        if params["n_restarts"] == 1:
            self._set_fitted(**_fit_once(doc_term, params, params["random_state"]))
            return
        seeds = restart_seeds(params["random_state"], params["n_restarts"])
        fits = [_fit_once(doc_term, params, s) for s in seeds]
        lls = [f["meta"]["log_likelihood"] for f in fits]
        best = fits[int(np.argmax(lls))]
        best["meta"]["restarts"] = [int(s) for s in seeds]
        best["meta"]["restart_log_likelihoods"] = [float(v) for v in lls]
        self._set_fitted(**best)

    def _set_fitted(
        self,
        components: np.ndarray,
        colors: np.ndarray,
        doc_topic_prior: float,
        engine_params: dict[str, Any] | None = None,
        state: dict[str, np.ndarray] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.components_ = np.asarray(components, dtype=np.float64)
        self.colors_ = np.asarray(colors, dtype=np.uint8)
        self.doc_topic_prior_ = float(doc_topic_prior)
        self.engine_params_ = dict(engine_params or {})
        self.state_ = dict(state or {})
        self.meta_ = dict(meta or {})
        self._sklearn = None

    @classmethod
    def from_topics(
        cls,
        components: np.ndarray,
        colors: np.ndarray,
        *,
        bits: int,
        weighting: str,
        engine: str,
        doc_topic_prior: float,
        space: str = "rgb",
        engine_params: dict[str, Any] | None = None,
        state: dict[str, np.ndarray] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> ColorTopics:
        """A fitted estimator holding these topics over these colours (a model file's contents, or topics made by
        hand). Its parameters describe the fit it holds: `n_topics` its rows, `random_state` the seed of that fit
        (`meta["random_state"]`), one restart, and as `engine_options` the engine parameters that differ from the
        engine's defaults, so `clone(model).fit(the same palettes)` fits it again."""
        meta = dict(meta or {})
        model = cls(
            bits,
            int(np.shape(components)[0]),
            space=space,
            weighting=weighting,
            engine=engine,
            random_state=meta.get("random_state"),
            engine_options=options_of(engine, engine_params or {}),
        )
        model._set_fitted(components, colors, doc_topic_prior, engine_params, state, meta)
        return model

    @property
    def vocabulary_(self) -> list[str]:
        """Hex word of each column of `components_`."""
        return to_words(self.colors_)

    # --- using the model -----------------------------------------------------------------------------------

    def doc_term(self, palettes: Sequence[Any]) -> DocTerm:
        """Palettes as counts over this model's vocabulary (colours it never saw are dropped)."""
        check_is_fitted(self, "components_")
        return vectorize(palettes, self.bits, colors=self.colors_, space=self.space)

    def transform(self, palettes: Sequence[Any]) -> np.ndarray:
        """Topic mixture of each palette (N × K, rows sum to 1)."""
        return self.transform_matrix(self.doc_term(palettes))

    def transform_matrix(self, doc_term: DocTerm) -> np.ndarray:
        """`transform` for an already vectorised corpus with this model's vocabulary."""
        check_is_fitted(self, "components_")
        if self.engine == "sklearn":
            return self._lda().transform(self._engine_input(doc_term))  # already normalised, as the Pipeline's
        return fold_in(weighted(doc_term, self.weighting), self.components_, self.doc_topic_prior_)

    def perplexity(self, palettes: Sequence[Any], random_state: int = 0) -> float:
        """Held-out perplexity by document completion on word counts: comparable across weightings, engines and K."""
        return completion_perplexity(self, self.doc_term(palettes).counts, random_state)

    def permuted(self, order: Sequence[int]) -> ColorTopics:
        """A copy whose topic i is this model's topic `order[i]` (the engine's per-topic arrays permuted alike, so
        `transform` gives the same mixtures with their columns in the new order)."""
        check_is_fitted(self, "components_")
        model = copy.copy(self)
        model._permute(order)
        return model

    def _permute(self, order: Sequence[int]) -> None:
        """Renumber the topics in place: topic i becomes what topic `order[i]` was."""
        k = self.components_.shape[0]
        order = np.asarray(order, dtype=np.int64)
        if sorted(order.tolist()) != list(range(k)):
            raise ValueError(f"order must be a permutation of 0..{k - 1}, got {order.tolist()}")
        state = {name: (np.asarray(v)[order] if name in TOPIC_STATE else v) for name, v in self.state_.items()}
        meta = dict(self.meta_)
        meta["engine_topics"] = [int(i) for i in np.asarray(meta.get("engine_topics", range(k)))[order]]
        meta.pop("topic_shares", None)
        self._set_fitted(self.components_[order], self.colors_, self.doc_topic_prior_, self.engine_params_, state, meta)

    def by_share(self, palettes: Sequence[Any]) -> ColorTopics:
        """This model with its topics numbered by their share of `palettes` (the mean of the palettes' topic
        mixtures, as `topics.topic_shares`), largest first: topic 0 is the one covers wear most. The shares are kept
        in `meta_["topic_shares"]`. The numbering every view of a model shows; `fit` and `sweep` apply it."""
        order, shares = self._share_order(self.doc_term(palettes))
        model = self.permuted(order)
        model.meta_["topic_shares"] = shares
        return model

    def _share_order(self, doc_term: DocTerm) -> tuple[np.ndarray, list[float]]:
        """The topics by share of palettes already vectorised over this model's vocabulary, and those shares."""
        shares = self.transform_matrix(doc_term).mean(axis=0)
        order = np.argsort(-shares, kind="stable")
        return order, [float(v) for v in shares[order]]

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
        self._check_topic(k)
        return np.argsort(-self.components_[k], kind="stable")[:n]

    def top_weights(self, k: int, n: int = 15) -> np.ndarray:
        """Weights of topic `k`'s `n` heaviest colours, matching `top_colors(k, n)`."""
        return self.components_[k, self.top_indices(k, n)]

    def _check_topic(self, k: int) -> None:
        check_is_fitted(self, "components_")
        if not 0 <= k < self.components_.shape[0]:
            raise ValueError(f"topic must be in 0..{self.components_.shape[0] - 1}, got {k}")

    def topic_label(self, k: int, n: int = 3) -> str:
        """A topic as words: the XKCD names of its `n` most distinctive colours, e.g. 'dark teal · mustard · off
        white' (`colornames.topic_names`: names it wears more than the other topics, not the greys all share)."""
        self._check_topic(k)
        return self.topic_labels(n)[k]

    def topic_labels(self, n: int = 3) -> list[str]:
        """`topic_label` of every topic (worked out once per set of topics and kept)."""
        from bcanalysis.colornames import topic_names

        check_is_fitted(self, "components_")
        key = (n, self.components_.shape, hash(self.components_.tobytes()), hash(self.colors_.tobytes()))
        if getattr(self, "_labels", (None,))[0] != key:
            self._labels = (key, [" · ".join(names) for names in topic_names(self.components_, self.colors_, n)])
        return list(self._labels[1])

    def topic_colors(self) -> np.ndarray:
        """Each topic's own colour (K × 3 uint8): the heaviest of the colours bearing its first name."""
        from bcanalysis.colornames import topic_colors

        check_is_fitted(self, "components_")
        return topic_colors(self.components_, self.colors_)

    # --- engine internals ----------------------------------------------------------------------------------

    def _engine_input(self, doc_term: DocTerm) -> sp.csr_matrix:
        X = weighted(doc_term, self.weighting)
        if self.weighting == "tfidf":
            return _tfidf(idf=self.state_["idf"]).transform(X.astype(np.float64), copy=False)
        return X

    def _lda(self):
        if self._sklearn is None:
            self._sklearn = sklearn_model(self.state_, self.engine_params_)
        return self._sklearn

    # --- files ---------------------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write `<path>.json` (metadata) and `<path>.npz` (arrays), each atomically; returns the JSON path."""
        check_is_fitted(self, "components_")
        return modelfile.write(self, path)

    @classmethod
    def load(cls, path: str | Path) -> ColorTopics:
        """Read a model written by `save` (either file's path) as a fitted estimator (`from_topics`). Every field
        and array is checked first: anything damaged, inconsistent or from another format version raises
        `ModelFileError` naming the file and fault."""
        return cls.from_topics(**modelfile.read(path))


def _fit_once(doc_term: DocTerm, params: dict[str, Any], random_state: int | None) -> dict[str, Any]:
    """One fit of checked `params` with this seed: the fitted attributes, as `ColorTopics._set_fitted` takes them."""
    weighting, engine = params["weighting"], params["engine"]
    X = weighted(doc_term, weighting)
    state: dict[str, np.ndarray] = {}
    if weighting == "tfidf":
        tfidf = _tfidf()
        if doc_term.first_seen is not None:
            X = in_first_seen_order(X, doc_term.first_seen)
        tfidf.fit(X)
        X = tfidf.transform(X, copy=False)  # as TfidfVectorizer.fit_transform does
        state["idf"] = tfidf.idf_
    res: EngineFit = fit_engine(engine, X, params["n_topics"], random_state, **(params["engine_options"] or {}))
    meta = {"random_state": random_state, "n_iter": res.n_iter, "n_documents": doc_term.n_docs}
    if res.log_likelihood is not None:
        meta["log_likelihood"] = res.log_likelihood
    return {
        "components": res.components,
        "colors": doc_term.colors,
        "doc_topic_prior": res.doc_topic_prior,
        "engine_params": res.params,
        "state": {**state, **res.state},
        "meta": meta,
    }


def _tfidf(idf: np.ndarray | None = None):
    """TfidfVectorizer's default weighting (smooth idf, l2 rows), optionally with a fitted idf."""
    from sklearn.feature_extraction.text import TfidfTransformer

    t = TfidfTransformer()
    if idf is not None:
        t.idf_ = np.asarray(idf, dtype=np.float64)
    return t


# --- inference helpers -------------------------------------------------------------------------------------


def fold_in(
    X: sp.csr_matrix, components: np.ndarray, alpha: float, n_iter: int = 100, tol: float = 1e-4, chunk: int = 4096
) -> np.ndarray:
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


def completion_loglik(
    model: ColorTopics, counts: sp.csr_matrix, random_state: int = 0, chunk: int = 4096
) -> tuple[np.ndarray, np.ndarray]:
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


def completion_perplexity(model: ColorTopics, counts: sp.csr_matrix, random_state: int = 0, chunk: int = 4096) -> float:
    """exp(−log-likelihood per word) of each document's second half, given the mixture inferred from its first."""
    loglik, words = completion_loglik(model, counts, random_state, chunk)
    if words.sum() == 0:
        raise ValueError("documents too short for held-out perplexity (no held-out words)")
    return float(np.exp(-loglik.sum() / words.sum()))


# --- fitting -----------------------------------------------------------------------------------------------


def check_n_topics(n_topics: Any, vocabulary_size: int) -> int:
    """`n_topics` as an int if it is from 1 to the vocabulary size, else TypeError / ValueError naming it."""
    n_topics = check_scalar(n_topics, "n_topics", int, low=1)
    if n_topics > vocabulary_size:
        raise ValueError(f"n_topics={n_topics} is more than the vocabulary ({vocabulary_size} colours at this depth)")
    return n_topics


def holdout_split(n_docs: int, fraction: float, random_state: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Training and held-out row indices (held-out ≈ `fraction`, at least one document each when possible)."""
    order = np.random.default_rng(random_state).permutation(n_docs)
    n_held = min(max(1, round(n_docs * fraction)), n_docs - 1) if n_docs > 1 else 0
    return np.sort(order[n_held:]), np.sort(order[:n_held])


def restart_seeds(random_state: int | None, n: int, *key: int) -> list[int]:
    """`n` independent 31-bit seeds derived from `random_state` (and an optional key such as (bits, K))."""
    entropy = np.random.SeedSequence().entropy if random_state is None else random_state
    return [int(s) for s in np.random.SeedSequence([int(entropy), *key]).generate_state(n) % 2**31]
