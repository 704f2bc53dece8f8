"""The default engine: collapsed Gibbs LDA in tomotopy, started from topics found by an over-complete fit.

A Gibbs sampler started at random gets stuck where two true topics share one fitted topic and another true topic is
spread over two (measured: 0.78-0.99 recovery across seeds of one corpus; longer runs do not leave the trap). So each
fit starts from a chain that comes down to its topic count from above:

1. explore: a fit with three times the chain's head topics (α scaled down to keep the same total) on a sample of the
   palettes. With spare topics the sampler rarely merges true ones; it splits them instead. Topic counts go in
   blocks of twenty (1-19, 20-39, …; `chain_top`), each headed by its largest count (19, 39, …);
2. merge: the exploratory topics are merged pairwise, always the pair whose merge raises the collapsed likelihood
   log p(words, assignments) most, down to the head's count; a local search then regroups them while the likelihood
   rises (`merge`);
3. come down: a fit of the head's count on the sample starts from those groups; its topics are merged once more, the
   pair the likelihood prefers, into a start one topic smaller; and so on down to K. Each step is a fitted model, so
   a true topic split in two above K is merged back whole, never by the exploratory topics' finer cut;
4. fit: the full Gibbs fit on every palette starts from the chain's K topics (tomotopy's per-word topic priors draw
   the first assignments; their total per topic is the flat prior's, V × η, so the data outweighs them). When the
   sample is every palette the chain's own step, run to convergence, is that fit.

A fit depends on its data, K, seed and options only (the chain of K's block, seeded by the fit's seed), so a process
keeps each chain (`_CHAINS`) and the fits of one block and seed — a sweep's restart — come down it once.
`init="random"` skips 1-3 (tomotopy's own uniform start)."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import gammaln

from bcanalysis.checks import Interval, OneOf, check_params
from bcanalysis.topics.merge import merge_topics, refine_groups

#: α = 0.5: between the sparse mixtures of LDA's own generative story (planted corpora, where a flat α = 1 made the
#: likelihood prefer merged topics once topics overlap) and the demo catalogue's palettes, which hold every colour
#: of two to four themes (where α = 1/K recovered 0.61 against 0.82 for 0.5 and 0.87 for 1, measured when set).
DEFAULTS: dict[str, Any] = {
    "alpha": 0.5,
    "eta": 0.01,
    "min_iter": 10,  # every fit starts from a chain's topics: 20 (and 5e-3) added sweeps, not recovery
    "max_iter": 500,
    "tol": 1e-2,  # log-likelihood per word gained per 10 sweeps below which a fit stops
    "init": "overcomplete",
}
INITS = ("overcomplete", "random")
PRIOR_RANGE = (1e-30, 1e30)  # α and η: positive, and representable in single precision after scaling
REVISION = 4  # part of sweep cache keys: bump when the same options give other fits
EXPLORE_FACTOR = 3  # exploratory topics per topic of the chain's head
CHAIN_BLOCK = 20  # topic counts a chain serves: 1-19, 20-39, … (headed by the largest). Blocks of 10 (a chain
#                   headed at 9 for K = 2..9) cost the sweep 1.2× the time at 6,000 palettes, for the same recovery
CHAINS_KEPT = 4  # chains a process keeps for reuse (each a few MB)
EXPLORE_SWEEPS = 50  # Gibbs sweeps of an exploratory fit (100 before the chain: the same recovery, twice the time)
REFIT_SWEEPS = 15  # sweeps of a chain's step on the sample when the sample is not every palette (30: the same
#                    recovery at 25,000 palettes, 1.25× the sweep's time)
EXPLORE_TOKENS = (200_000, 4_000)  # the sample: at least this many colour tokens, and this many per exploratory topic
TRAIN_BLOCK = 5  # sweeps between convergence checks of a fit run to convergence
TOPIC_TOL = 1e-3  # a fit has settled when every topic's cosine to itself one check before is at least 1 - this. The
#   sweep reads topics, and from 100,000 palettes on they settle within 10 sweeps (cosine 0.9996) while the
#   likelihood still creeps up as palettes' mixtures mix (15 sweeps); on smaller corpora sampling noise alone keeps
#   it lower (0.995 at 6,000 palettes, 0.9989 at 25,000), so there the likelihood decides
BUILD_ROWS = 50_000  # documents handed to or read from tomotopy per chunk (bounds the temporary arrays)


#: The declared constraint on each option (`checks.check_params`). The priors have a floor and a ceiling: tomotopy
#: computes in single precision, where 1e-300 is 0 and aborts the process.
OPTION_CONSTRAINTS = {
    "min_iter": Interval(int, 1),
    "max_iter": Interval(int, 1),
    "alpha": Interval(float, *PRIOR_RANGE),
    "eta": Interval(float, *PRIOR_RANGE),
    "tol": Interval(float, 0),
    "init": OneOf(INITS),
}


def check_options(kw: dict[str, Any]) -> dict[str, Any]:
    """Engine options merged with the defaults, each checked here so nothing invalid reaches C++ (TypeError for an
    unknown option or a value of the wrong kind, ValueError for one out of range)."""
    unknown = set(kw) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown tomotopy options: {', '.join(sorted(unknown))} (known: {', '.join(DEFAULTS)})")
    opts = {**DEFAULTS, **kw}
    return check_params(opts, OPTION_CONSTRAINTS)


def fit(
    X: sp.csr_matrix, n_topics: int, random_state: int | None, **kw: Any
) -> tuple[np.ndarray, dict[str, Any], int, float]:
    """Fit K topics to integer counts: (K × V topics, resolved options, sweeps of the final fit, log p(w, z))."""
    opts = check_options(kw)
    if X.data.dtype.kind == "f" and X.data.size and (X.data != np.round(X.data)).any():
        raise ValueError("engine='tomotopy' needs integer counts; use weighting='count' or 'proportion'")
    alpha, eta = opts["alpha"], opts["eta"]
    if n_topics == 1:  # every word is in the one topic: the posterior is exact, nothing to sample
        nkw = np.asarray(X.sum(axis=0), dtype=np.float64)
        ndk = np.asarray(X.sum(axis=1), dtype=np.float64)
        return _topics(nkw, eta), opts, 0, collapsed_log_likelihood(ndk, nkw, alpha, eta)
    entropy = _entropy(random_state)
    prior = None
    if opts["init"] == "overcomplete":
        chain = _chain(X, n_topics, entropy, opts)
        step = chain.step(n_topics)
        if chain.whole:  # the sample was every palette: the chain's step, run to convergence, is the fit
            return _topics(step.nkw, eta), opts, step.n_iter, step.log_likelihood
        prior = seed_prior(step.nkw, eta)
    final_seed = np.random.SeedSequence([entropy, n_topics]).generate_state(1)[0]
    model = _model(X, n_topics, alpha, eta, int(final_seed), prior)
    n_iter = _train(model, opts["min_iter"], opts["max_iter"], opts["tol"])
    nkw = _topic_words(model, X.shape[1], eta)
    return _topics(nkw, eta), opts, n_iter, _log_likelihood(model, nkw, prior, alpha, eta)


def _entropy(random_state: int | None) -> int:
    return int(np.random.SeedSequence().entropy % 2**63) if random_state is None else int(random_state)


def chain_top(n_topics: int) -> int:
    """The head of K's chain: the largest topic count of K's block of `CHAIN_BLOCK` (19 for K up to 19,
    39 for 20..39, …)."""
    return CHAIN_BLOCK * (n_topics // CHAIN_BLOCK) + CHAIN_BLOCK - 1


def explore_topics(n_topics: int) -> int:
    """Topics of the exploratory fit that starts K's chain: `EXPLORE_FACTOR` × its head."""
    return EXPLORE_FACTOR * chain_top(n_topics)


class _Step:
    """One step of a chain: the K-topic fit on the sample (its counts), its sweeps and collapsed log-likelihood."""

    __slots__ = ("ndk", "nkw", "n_iter", "log_likelihood")

    def __init__(self, ndk: np.ndarray, nkw: np.ndarray, n_iter: int, log_likelihood: float):
        self.ndk, self.nkw, self.n_iter, self.log_likelihood = ndk, nkw, n_iter, log_likelihood


class Chain:
    """Fits of one block of topic counts on one sample, from its head down (see the module's steps 1-3): `step(K)`
    computes the steps down to K once and keeps the last, so the fits of a sweep's restart come down it once."""

    def __init__(self, X: sp.csr_matrix, top: int, entropy: int, opts: dict[str, Any]):
        self.top, self.entropy, self.opts = top, entropy, opts
        rng = np.random.default_rng(np.random.SeedSequence([entropy, top]))
        rows = _sample_rows(X, max(EXPLORE_TOKENS[0], EXPLORE_TOKENS[1] * EXPLORE_FACTOR * top), rng)
        self.whole = len(rows) == X.shape[0]  # then each step, run to convergence, is the fit of every palette
        self.sample = X if self.whole else X[rows]
        self.steps: dict[int, _Step] = {}
        self._start: tuple[int, np.ndarray] | None = None  # (k, k × V counts) the next step starts from

    def step(self, k: int) -> _Step:
        """The chain's fit of k topics (k from 2 to the head)."""
        if k not in self.steps:
            if self._start is None:
                self._start = (self.top, self._explore())
            while self._start[0] >= k:
                at, start = self._start
                self.steps = {at: self._fit(at, start)}  # only the last step is read again
                done = self.steps[at]
                if at > 2:
                    self._start = (at - 1, _merged(done.ndk, done.nkw, at - 1, self.opts))
                else:
                    self._start = (1, start)
            if k not in self.steps:
                raise ValueError(f"the chain headed at {self.top} topics has passed {k} (fit larger K first)")
        return self.steps[k]

    def passed(self, k: int) -> bool:
        """Whether the chain has come down past k (a fit of k then needs a chain of its own)."""
        return k not in self.steps and self._start is not None and self._start[0] < k

    def _explore(self) -> np.ndarray:
        """Steps 1-2: the exploratory fit on the sample merged into the head's topic count (head × V counts)."""
        alpha, eta = self.opts["alpha"], self.opts["eta"]
        k_big = EXPLORE_FACTOR * self.top
        seed = np.random.SeedSequence([self.entropy, self.top, 0]).generate_state(1)[0]
        model = _model(self.sample, k_big, alpha / EXPLORE_FACTOR, eta, int(seed), None)
        model.train(EXPLORE_SWEEPS, workers=1)
        EXPLORE_COUNT[0] += 1
        ndk, nkw = _state(model, self.sample.shape[1])
        return _merged(ndk, nkw, self.top, self.opts)

    def _fit(self, k: int, start: np.ndarray) -> _Step:
        """Step 3 at k topics: a fit on the sample from `start` (to convergence when the sample is every palette)."""
        alpha, eta = self.opts["alpha"], self.opts["eta"]
        seed = np.random.SeedSequence([self.entropy, self.top, k]).generate_state(1)[0]
        model = _model(self.sample, k, alpha, eta, int(seed), seed_prior(start, eta))
        if self.whole:
            n_iter = _train(model, self.opts["min_iter"], self.opts["max_iter"], self.opts["tol"])
        else:
            model.train(REFIT_SWEEPS, workers=1)
            n_iter = REFIT_SWEEPS
        ndk, nkw = _state(model, self.sample.shape[1])
        return _Step(ndk, nkw, n_iter, collapsed_log_likelihood(ndk, nkw, alpha, eta))


def _merged(ndk: np.ndarray, nkw: np.ndarray, k: int, opts: dict[str, Any]) -> np.ndarray:
    """Topics grouped into k by greedy merging and local search on the likelihood: k × V word counts."""
    alpha, eta = opts["alpha"], opts["eta"]
    group = refine_groups(merge_topics(ndk, nkw, k, alpha, eta), ndk, nkw, alpha, eta)
    return np.stack([nkw[group == g].sum(axis=0) for g in range(k)])


_CHAINS: dict[tuple, Chain] = {}
#: Exploratory fits computed in this process: what tests count.
EXPLORE_COUNT = [0]


def _chain(X: sp.csr_matrix, n_topics: int, entropy: int, opts: dict[str, Any]) -> Chain:
    """K's chain for this data, seed and options: this process's, if it has one that has not passed K, else new.
    A chain is a pure function of its key (the data by a hash of its contents), so reading it back changes nothing."""
    digest = hashlib.sha1()
    for part in (X.indptr, X.indices, X.data):
        digest.update(memoryview(np.ascontiguousarray(part)))  # no copy of a large corpus's arrays
    top = chain_top(n_topics)
    key = (digest.hexdigest(), X.shape, top, entropy, tuple(sorted(opts.items())), EXPLORE_SWEEPS, REFIT_SWEEPS)
    chain = _CHAINS.get(key)
    if chain is None or chain.passed(n_topics):
        while len(_CHAINS) >= CHAINS_KEPT:
            _CHAINS.pop(next(iter(_CHAINS)))
        chain = _CHAINS[key] = Chain(X, top, entropy, opts)
    return chain


def _sample_rows(X: sp.csr_matrix, tokens: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted random rows holding about `tokens` tokens (all rows if the corpus is smaller)."""
    lengths = np.asarray(X.sum(axis=1)).ravel()
    if lengths.sum() <= tokens:
        return np.arange(X.shape[0])
    order = rng.permutation(X.shape[0])
    n = int(np.searchsorted(np.cumsum(lengths[order]), tokens)) + 1
    return np.sort(order[:n])


def seed_prior(counts: np.ndarray, eta: float) -> np.ndarray:
    """Per-word topic priors that start the sampler at `counts`' topics: half the topic's distribution, half flat,
    scaled so each topic's prior totals V × η, as the flat prior's does. (tomotopy draws the first assignments from
    them. Sharper starts, 0.8 or 0.97 of the topic's, converged in fewer sweeps but left a trapped step of the chain
    trapped: recovery 0.967 and 0.914 on seeds the half-flat start brought to 0.985.)"""
    V = counts.shape[1]
    p = (counts + eta) / (counts + eta).sum(axis=1, keepdims=True)
    return eta * V * (0.5 * p + 0.5 / V)


def _model(X: sp.csr_matrix, k: int, alpha: float, eta: float, seed: int, prior: np.ndarray | None):
    """A tomotopy LDAModel holding the rows of X as documents (column j is the word "j")."""
    import tomotopy as tp

    model = tp.LDAModel(k=k, alpha=alpha, eta=eta, seed=int(seed) % 2**32)
    model.optim_interval = 0  # no hyper-parameter optimisation: it trapped fits in trials
    words = np.array([str(j) for j in range(X.shape[1])], dtype=object)
    if prior is not None:
        for j in np.flatnonzero(np.asarray(X.sum(axis=0)).ravel()):
            model.set_word_prior(words[j], prior[:, j].tolist())
    bounds = np.append(np.arange(0, X.shape[0], BUILD_ROWS), X.shape[0])
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):  # in chunks: no token array for a whole corpus
        part = X[lo:hi]
        tokens = words[np.repeat(part.indices, part.data.astype(np.int64))]
        ends = np.cumsum(np.asarray(part.sum(axis=1)).ravel().astype(np.int64))
        for doc in np.split(tokens, ends[:-1]):
            if len(doc):
                model.add_doc(doc.tolist())
    return model


def _train(model, min_iter: int, max_iter: int, tol: float) -> int:
    """Blocks of `TRAIN_BLOCK` sweeps until, after `min_iter`, the log-likelihood per word gains less than `tol` per
    10 sweeps or every topic has settled (`TOPIC_TOL`)."""
    n_iter, last, before = 0, -np.inf, None
    while n_iter < max_iter:
        step = min(TRAIN_BLOCK, max_iter - n_iter)
        model.train(step, workers=1)
        n_iter += step
        ll, now = model.ll_per_word, _directions(model)
        settled = before is not None and float((now * before).sum(axis=1).min()) >= 1 - TOPIC_TOL
        if n_iter >= min_iter and (ll - last < tol * step / 10 or settled):
            break
        last, before = ll, now
    return n_iter


def _directions(model) -> np.ndarray:
    """Each topic's word distribution as a unit vector (K × the words the model holds): what `_train` compares."""
    dist = np.array([model.get_topic_word_dist(k) for k in range(model.k)], dtype=np.float64)
    return dist / np.linalg.norm(dist, axis=1, keepdims=True)


def _state(model, n_words: int) -> tuple[np.ndarray, np.ndarray]:
    """The sampler's counts: topics per document (D × K) and words per topic (K × V, by our column index)."""
    cols = _columns(model)
    k, n_docs = model.k, len(model.docs)
    ndk = np.zeros((n_docs, k))
    nkw = np.zeros((k, n_words))
    zs, ws, start = [], [], 0
    for i, d in enumerate(model.docs):  # in chunks of documents, so no int64 array per token of a whole corpus
        zs.append(d.topics)
        ws.append(d.words)
        if len(zs) == BUILD_ROWS or i == n_docs - 1:
            z = np.concatenate(zs).astype(np.int64)
            doc = np.repeat(np.arange(len(zs)), [len(x) for x in zs])
            ndk[start : start + len(zs)] = np.bincount(doc * k + z, minlength=len(zs) * k).reshape(len(zs), k)
            nkw += np.bincount(z * n_words + cols[np.concatenate(ws)], minlength=k * n_words).reshape(k, n_words)
            start += len(zs)
            zs, ws = [], []
    return ndk, nkw


def _columns(model) -> np.ndarray:
    """Our column index of each word tomotopy holds, in its order (the words are the columns' numbers)."""
    return np.array([int(w) for w in model.vocabs], dtype=np.int64)


def _topic_words(model, n_words: int, eta: float) -> np.ndarray:
    """Words per topic (K × V, by our column index) read one topic at a time (tomotopy gives n_kw + η in single
    precision; counts below 2**24 round back exactly): `_state`'s nkw without a pass over the documents."""
    cols = _columns(model)
    nkw = np.zeros((model.k, n_words))
    raw = np.array([model.get_topic_word_dist(k, normalize=False) for k in range(model.k)], dtype=np.float64)
    nkw[:, cols[: raw.shape[1]]] = np.rint(raw - eta)
    return nkw


def _log_likelihood(model, nkw: np.ndarray, prior: np.ndarray | None, alpha: float, eta: float) -> float:
    """`collapsed_log_likelihood` of a fit without reading its documents back: tomotopy's own log p(w, z) (summed
    in single precision, within ~2e-5 of ours) with its word part, over the words it holds and by the word priors it
    sampled with, replaced by ours over every word and the flat η."""
    cols = _columns(model)
    eta_kw = np.full((model.k, len(cols)), eta) if prior is None else prior[:, cols]
    theirs = _word_part(nkw[:, cols], eta_kw)
    ours = _word_part(nkw, np.full_like(nkw, eta))
    return float(model.ll_per_word * model.num_words - theirs + ours)


def _word_part(nkw: np.ndarray, eta_kw: np.ndarray) -> float:
    """The topic-word term of the collapsed log-likelihood with per-word priors."""
    total = eta_kw.sum(axis=1)
    return float(
        (gammaln(nkw + eta_kw) - gammaln(eta_kw)).sum() - (gammaln(nkw.sum(axis=1) + total) - gammaln(total)).sum()
    )


def _topics(nkw: np.ndarray, eta: float) -> np.ndarray:
    phi = nkw + eta
    return phi / phi.sum(axis=1, keepdims=True)


def collapsed_log_likelihood(ndk: np.ndarray, nkw: np.ndarray, alpha: float, eta: float) -> float:
    """log p(words, topic assignments | α, η) of LDA with the topics and mixtures integrated out."""
    K, V = nkw.shape
    words = K * (gammaln(V * eta) - V * gammaln(eta)) - gammaln(nkw.sum(axis=1) + V * eta).sum()
    words += gammaln(nkw + eta).sum()
    docs = len(ndk) * (gammaln(K * alpha) - K * gammaln(alpha)) - gammaln(ndk.sum(axis=1) + K * alpha).sum()
    docs += gammaln(ndk + alpha).sum()
    return float(words + docs)
