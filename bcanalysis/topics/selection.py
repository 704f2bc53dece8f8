"""`sweep`: a grid over `ColorTopics` — (bits, n_topics) × restarts fitted in parallel, cached on disk, every fit
measured.

Each cell is the estimator cloned with its `bits` and `n_topics` set, each of its restarts a clone with that
restart's seed; each depth is vectorised once; every fit runs single-threaded in a joblib worker (parallelism across
fits keeps each fit reproducible); with a `cache_dir`, a fitted model is stored under a key of (data fingerprint,
bits, n, weighting, engine, seed, engine options, library versions), so re-running a notebook fits nothing twice.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import json
import os
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from bcanalysis.checks import check_scalar
from bcanalysis.defaults import N_RESTARTS, SWEEP_BITS, SWEEP_N
from bcanalysis.executors import check_executor, is_dask_client
from bcanalysis.quantize import check_bits
from bcanalysis.topics.gibbs import REVISION as GIBBS_REVISION
from bcanalysis.topics.metrics import (
    coherence_npmi,
    coherence_umass,
    matched_similarity,
    topic_diversity,
    word_presence,
)
from bcanalysis.topics.model import (
    DEFAULT_ENGINE,
    DEFAULT_WEIGHTING,
    FORMAT_VERSION,
    ColorTopics,
    ModelFileError,
    check_n_topics,
    completion_loglik,
    holdout_split,
    restart_seeds,
)
from bcanalysis.topics.recommend import recommend
from bcanalysis.topics.vectorize import DocTerm, vectorize


class ByShare(Mapping):
    """The sweep's models by (bits, n_topics), each with its topics numbered by share of the sweep's palettes
    (`ColorTopics.by_share`) when first read: the numbering every view of the model shows."""

    def __init__(self, models: dict[tuple[int, int], ColorTopics], palettes: Any = None):
        self._raw, self._palettes, self._done = dict(models), palettes, {}

    def __getitem__(self, key: tuple[int, int]) -> ColorTopics:
        if key not in self._done:
            model = self._raw[key]
            self._done[key] = model if self._palettes is None else model.by_share(self._palettes)
        return self._done[key]

    def __contains__(self, key: object) -> bool:
        return key in self._raw

    def __iter__(self):
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


@dataclass
class SweepResult:
    """The sweep's metrics table (one row per bits × n_topics), its models (the best restart of each cell, topics
    numbered by share of the palettes swept) and every restart's model (`restart_models`, in the engine's order)."""

    table: pd.DataFrame
    models: Mapping[tuple[int, int], ColorTopics]
    restart_models: dict[tuple[int, int], list[ColorTopics]] = field(repr=False)
    random_state: int

    def model(self, bits: int, n_topics: int) -> ColorTopics:
        """The fitted model for (bits, n_topics): of its restarts, the one with the highest training likelihood,
        its topics numbered by their share of the palettes swept (topic 0 the largest)."""
        try:
            return self.models[(int(bits), int(n_topics))]
        except KeyError:
            raise KeyError(f"no model for bits={bits}, n_topics={n_topics} in this sweep") from None

    def recommend(self) -> pd.DataFrame:
        """Propose n per depth by the one-standard-error rule (`bcanalysis.topics.recommend`): the smallest n whose
        held-out perplexity is within one standard error of the lowest.

        One row per depth: the chosen n and its metrics (with its `excess` over the lowest perplexity and that
        difference's standard error), where the lowest is (`best_n`, `best_perplexity`), flags (`measured`, `flat`,
        `rising`, `widen_up`, `widen_down`, `too_many`; `supported` when none says the choice says little), a short
        `note` and the reasoning (`reason`).
        """
        return recommend(self.table)


# --- cache ------------------------------------------------------------------------------------------------


#: The model `meta` field a cache entry's own key is stored in.
CACHE_KEY = "cache_key"


def _versions(engine: str) -> dict[str, str]:
    out = {}
    for pkg in ("scikit-learn", "tomotopy") if engine == "sklearn" else ("tomotopy",):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


def cache_key(
    fingerprint: str, bits: int, n_topics: int, weighting: str, engine: str, random_state: int, options: dict[str, Any]
) -> str:
    """The file stem a fitted model is cached under: a hash of everything that determines the fit."""
    spec = {
        "data": fingerprint,
        "bits": bits,
        "n_topics": n_topics,
        "weighting": weighting,
        "engine": engine,
        "seed": random_state,
        "options": options,
        "format": FORMAT_VERSION,
        "versions": _versions(engine),
    }
    if engine == "tomotopy":  # models of the random-start sampler are not reused
        spec["algorithm"] = GIBBS_REVISION
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:24]
    return f"b{bits}-k{n_topics}-{weighting}-{engine}-s{random_state}-{digest}"


class CacheWarning(UserWarning):
    """A sweep cache entry that was not used (damaged, not a regular file, or not the entry of its key): the model
    is refitted and the entry rewritten."""


def _cached(cache_dir: Path | None, key: str) -> ColorTopics | None:
    """The cached model under `key`, or None. An entry that is damaged, not a regular file (a FIFO would hang the
    sweep), written before entries named their key, or holding another key's model (a copied file) warns and is
    refitted, then replaced atomically."""
    path = None if cache_dir is None else cache_dir / f"{key}.json"
    if path is None or not os.path.lexists(path):
        return None
    try:
        model = ColorTopics.load(path)
    except ModelFileError as exc:
        warnings.warn(f"sweep cache entry not used, refitting it: {exc}", CacheWarning, stacklevel=3)
        return None
    own = model.meta_.get(CACHE_KEY)
    if own != key:
        why = (
            f"holds the model of key {own}, not {key}"
            if isinstance(own, str)
            else "names no key (written by an older bcanalysis)"
        )
        warnings.warn(f"sweep cache entry {path} not used, refitting it: it {why}", CacheWarning, stacklevel=3)
        return None
    return model


# --- the sweep --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepPlan:
    """A sweep, decided and checked before any fit runs: the estimator every cell clones (space, weighting, engine,
    engine options, restarts a cell, and the seed everything is drawn from), the grid (`bits`, `n_topics`), the
    share of palettes held out, and where the fits run (local processes, an executor or a dask cluster) and are
    cached."""

    estimator: ColorTopics
    bits: tuple[int, ...]
    n_topics: tuple[int, ...]
    heldout: float = 0.1
    cache: Path | None = None
    n_jobs: int | None = None
    executor: Any = None
    progress: bool = True

    @property
    def n_restarts(self) -> int:
        return self.estimator.n_restarts

    @property
    def random_state(self) -> int:
        return self.estimator.random_state

    def cell(self, bits: int, n_topics: int) -> ColorTopics:
        """The estimator of one cell of the grid (unfitted)."""
        return clone(self.estimator).set_params(bits=bits, n_topics=n_topics)

    def restarts(self, bits: int, n_topics: int) -> list[ColorTopics]:
        """The cell's restarts: one estimator per seed (each fitted once), seeds drawn from `random_state` and the
        depth, so adding a cell to the grid changes no other cell's fits. Restart r has one seed at every n of a
        depth: the Gibbs engine's fits of one block of n then come down one chain (`gibbs.Chain`)."""
        cell = self.cell(bits, n_topics)
        return [
            clone(cell).set_params(random_state=seed, n_restarts=1)
            for seed in restart_seeds(self.random_state, self.n_restarts, bits)
        ]


@dataclass(frozen=True)
class _Job:
    """One fit of the grid: a restart's estimator, its place in the cell, and its cache key."""

    estimator: ColorTopics
    replicate: int
    key: str

    @property
    def bits(self) -> int:
        return self.estimator.bits

    @property
    def n_topics(self) -> int:
        return self.estimator.n_topics

    @property
    def seed(self) -> int:
        return self.estimator.random_state


def _run_job(doc_term: DocTerm, job: _Job, held_counts: Any = None) -> tuple[_Job, ColorTopics]:
    """One fit, timed; with the depth's held-out palettes, also scored on them where it ran (document completion:
    at a million palettes that is minutes the parent would otherwise spend alone after the fits)."""
    t0 = time.perf_counter()
    model = clone(job.estimator).fit_doc_term(doc_term)
    model.meta_["fit_seconds"] = time.perf_counter() - t0
    if held_counts is not None:
        model._completion = completion_loglik(model, held_counts)
    return job, model


def _run_chain(
    doc_term: DocTerm, jobs: list[_Job], held_counts: Any = None, cache: Path | None = None, done: Any = None
) -> list[tuple[_Job, ColorTopics]]:
    """The fits of one depth and restart, in one process, largest n first: what they share (the Gibbs engine's chain
    from its block's head down) is computed once. Each fit is saved to the cache and reported to `done` (a queue
    the parent's progress bar reads) as it finishes, not when the chain does: a crash keeps what finished."""
    out = []
    for job in jobs:
        out.append(_run_job(doc_term, job, held_counts))
        if cache is not None:
            _save(job, out[-1][1], cache)
        if done is not None:
            done.put(1)
    return out


def _chains(jobs: list[_Job], workers: int) -> list[list[_Job]]:
    """The jobs as tasks: one chain per (depth, restart), largest n first, when there are enough chains to keep
    every worker busy; else one job a task (fits sharing a chain then may compute it in each worker)."""
    chains: dict[tuple[int, int], list[_Job]] = {}
    for job in sorted(jobs, key=lambda j: -j.n_topics):
        chains.setdefault((job.bits, job.replicate), []).append(job)
    if len(chains) >= workers:
        return sorted(chains.values(), key=lambda c: -sum(j.n_topics for j in c))
    return [[job] for chain in chains.values() for job in chain]


def _int_list(values: int | Iterable[int], name: str) -> list[int]:
    vals = [values] if isinstance(values, (int, np.integer)) else list(values)
    if not vals:
        raise ValueError(f"{name} is empty; give at least one value")
    return vals


def sweep(
    palettes: Sequence[Any],
    *,
    bits: int | Iterable[int] = SWEEP_BITS,
    n_topics: int | Iterable[int] = SWEEP_N,
    weighting: str = DEFAULT_WEIGHTING,
    engine: str = DEFAULT_ENGINE,
    random_state: int | None = None,
    n_restarts: int = N_RESTARTS,
    space: str = "rgb",
    heldout: float = 0.1,
    cache_dir: str | Path | None = None,
    n_jobs: int | None = None,
    progress: bool = True,
    executor: Any = None,
    engine_options: dict[str, Any] | None = None,
) -> SweepResult:
    """Fit every (bits, n_topics) with `n_restarts` seeds on all but a `heldout` share of palettes, and measure
    them. `palettes` as `ColorTopics.fit` takes them (for a large corpus `Corpus.palette_arrays()`: no Python object
    per colour); `space`, `weighting`, `engine`, `n_restarts` and `engine_options` are `ColorTopics`'s, checked here
    before any fit runs.

    The table has held-out perplexity (document completion on counts, geometric mean over restarts), its excess
    over the depth's lowest with the standard error of that difference (`excess`, `excess_se`: what `recommend`
    judges by), NPMI and UMass coherence, topic diversity, stability (matched cosine between restarts), fit seconds,
    whether the fits came from the cache, and the palettes swept and held out. A cell's model is its restart with
    the highest training likelihood, as `ColorTopics.fit` keeps; its topics are numbered by share.
    `n_jobs=None` uses every core. `executor` runs the fits elsewhere instead: a `dask.distributed.Client` (each
    depth's matrix is sent to the cluster once) or any `concurrent.futures.Executor`; results are identical to a
    local sweep with the same `random_state`. `random_state=None` draws a seed (kept in `.random_state`); only a
    fixed `random_state` can hit the cache.
    """
    estimator = ColorTopics(
        space=space,
        weighting=weighting,
        engine=engine,
        n_restarts=n_restarts,
        random_state=random_state,
        engine_options=engine_options,
    )
    plan = _plan(
        estimator,
        bits=bits,
        n_topics=n_topics,
        heldout=heldout,
        cache_dir=cache_dir,
        n_jobs=n_jobs,
        progress=progress,
        executor=executor,
    )
    if plan.cache is not None:
        plan.cache.mkdir(parents=True, exist_ok=True)
    options = dict(plan.estimator.engine_options or {})
    doc_terms, splits, jobs, fitted = {}, {}, [], {}
    for b in plan.bits:
        dt = vectorize(palettes, b, space=plan.estimator.space)
        for k in plan.n_topics:
            check_n_topics(k, len(dt.colors))
        train, held = holdout_split(dt.n_docs, plan.heldout, plan.random_state)
        doc_terms[b] = dt.rows(train)
        fp = doc_terms[b].fingerprint()
        doc_terms[b], dt = doc_terms[b].only(plan.estimator.weighting), dt.only("count")  # the rest is not needed
        splits[b] = dt, held
        for k in plan.n_topics:
            for r, est in enumerate(plan.restarts(b, k)):
                job = _Job(est, r, cache_key(fp, b, k, est.weighting, est.engine, est.random_state, options))
                hit = _cached(plan.cache, job.key)
                if hit is None:
                    jobs.append(job)
                else:
                    hit.meta_["cached"] = True
                    fitted[(b, k, r)] = hit
    fit = _fit_all if plan.executor is None else _fit_on
    fitted.update(fit(jobs, doc_terms, {b: dt.counts[held] for b, (dt, held) in splits.items()}, plan))
    return _assemble(plan, splits, fitted, palettes)


def _plan(
    estimator: ColorTopics,
    *,
    bits: Any,
    n_topics: Any,
    heldout: Any,
    cache_dir: Any,
    n_jobs: Any,
    progress: bool,
    executor: Any,
) -> SweepPlan:
    """The sweep's arguments checked (the estimator's against its own constraints) and gathered into a plan; a
    `random_state` of None becomes a seed drawn here."""
    params = estimator.checked_params()
    if n_jobs is not None and check_scalar(n_jobs, "n_jobs", int) == 0:
        raise ValueError("n_jobs must be None, a positive number of processes or -1 for all cores, got 0")
    if params["random_state"] is None:
        params["random_state"] = int(np.random.SeedSequence().entropy % 2**31)
    return SweepPlan(
        estimator=estimator.set_params(random_state=params["random_state"], n_restarts=params["n_restarts"]),
        bits=tuple(check_bits(b) for b in _int_list(bits, "bits")),
        n_topics=tuple(check_scalar(k, "n_topics", int, low=1) for k in _int_list(n_topics, "n_topics")),
        heldout=check_scalar(heldout, "heldout", float, low=0, high=1, closed="neither"),
        cache=None if cache_dir is None else Path(cache_dir),
        n_jobs=n_jobs,
        progress=progress,
        executor=None if executor is None else check_executor(executor),  # a dask Client is kept: it scatters data
    )


def _fit_all(jobs: list[_Job], doc_terms: dict[int, DocTerm], held: dict[int, Any], plan: SweepPlan) -> dict:
    """Run the fits not in the cache, largest n first (better load balance), each saved and counted as it finishes."""
    from joblib import Parallel, delayed, effective_n_jobs
    from tqdm.auto import tqdm

    out = {}
    if not jobs:
        return out
    n_jobs = -1 if plan.n_jobs is None else plan.n_jobs
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    chains = _chains(jobs, effective_n_jobs(n_jobs))
    with tqdm(total=len(jobs), desc="fitting topic models", disable=not plan.progress) as bar:
        with _fits_done(bar, plan.progress) as done:
            tasks = (delayed(_run_chain)(doc_terms[c[0].bits], c, held[c[0].bits], plan.cache, done) for c in chains)
            for finished in parallel(tasks):
                for job, model in finished:
                    _keep(out, job, model, None)  # saved to the cache by the worker, as it finished
    return out


@contextlib.contextmanager
def _fits_done(bar: Any, enabled: bool):
    """A queue the workers put one item on per finished fit, read by a thread that moves `bar` (None when the bar is
    off): a chain returns its fits together, minutes apart on a large corpus."""
    if not enabled:
        yield None
        return
    import multiprocessing
    import threading

    with multiprocessing.Manager() as manager:
        queue = manager.Queue()

        def read() -> None:
            while queue.get() is not None:
                bar.update()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            yield queue
        finally:
            queue.put(None)
            reader.join()


def _keep(out: dict, job: _Job, model: ColorTopics, cache: Path | None) -> None:
    """A fresh fit: marked as not from the cache and saved to it at once (a crash later keeps it)."""
    if cache is not None:
        _save(job, model, cache)
    model.meta_["cached"] = False
    out[(job.bits, job.n_topics, job.replicate)] = model


def _save(job: _Job, model: ColorTopics, cache: Path) -> None:
    """A fresh fit into the sweep cache, under its key (the entry names its key: a copy under another name is caught
    on reading)."""
    model.meta_["cached"] = False
    model.meta_[CACHE_KEY] = job.key
    model.save(cache / job.key)


def _fit_on(jobs: list[_Job], doc_terms: dict[int, DocTerm], held: dict[int, Any], plan: SweepPlan) -> dict:
    """`_fit_all` on an executor or a dask cluster, largest n first, saving each model as it arrives."""
    from tqdm.auto import tqdm

    out = {}
    if not jobs:
        return out
    if not is_dask_client(plan.executor):
        pool, data = plan.executor, doc_terms
    else:  # a dask Client: each depth's matrix goes to the workers once, not once per fit
        pool = plan.executor.get_executor()
        data = {b: plan.executor.scatter(dt, broadcast=True) for b, dt in doc_terms.items()}
        held = {b: plan.executor.scatter(h, broadcast=True) for b, h in held.items()}
    futures = {pool.submit(_run_job, data[j.bits], j, held[j.bits]): j for j in sorted(jobs, key=lambda j: -j.n_topics)}
    with tqdm(total=len(jobs), desc="fitting topic models", disable=not plan.progress) as bar:
        for fut in cf.as_completed(futures):
            job = futures[fut]
            try:
                _, model = fut.result()
            except Exception as exc:
                for f in futures:
                    f.cancel()
                raise RuntimeError(
                    f"fit bits={job.bits} n_topics={job.n_topics} seed={job.seed} failed on the "
                    f"executor ({type(exc).__name__}: {exc}); fits already done are cached"
                ) from exc
            _keep(out, job, model, plan.cache)
            bar.update()
    return out


def _heldout(models: list[ColorTopics], held_counts) -> dict[str, Any]:
    """Held-out scores of one cell's restarts (document completion): per held-out palette the log-likelihood averaged
    over the restarts, the words scored, and each restart's log perplexity; each one's perplexity goes in its
    `meta_`."""
    lls, logp = [], []
    for m in models:
        done = m.__dict__.pop("_completion", None)  # scored where it was fitted, or read from the cache: here
        loglik, words = completion_loglik(m, held_counts) if done is None else done
        if words.sum() == 0:
            raise ValueError("documents too short for held-out perplexity (no held-out words)")
        lls.append(loglik)
        logp.append(-loglik.sum() / words.sum())
        m.meta_["heldout_perplexity"] = float(np.exp(logp[-1]))
    return {"loglik": np.mean(lls, axis=0), "words": words, "logp": np.asarray(logp)}


def _seed_var(logp: np.ndarray) -> float:
    """Variance of the mean log perplexity over restarts (0 with one restart: not measurable)."""
    return float(logp.var(ddof=1) / len(logp)) if len(logp) > 1 else 0.0


def compare_heldout(scores: dict[int, dict[str, Any]]) -> dict[int, dict[str, float]]:
    """Each topic count's held-out perplexity (geometric mean over restarts) against the lowest of its depth: how much
    higher (`excess`, relative) and the standard error of that excess, from the paired differences over held-out
    palettes (a ratio estimator, as Vehtari, Gelman & Gabry 2017 compare models) plus the spread over restarts."""
    logp = {k: -v["loglik"].sum() / v["words"].sum() for k, v in scores.items()}
    best = min(logp, key=lambda k: (logp[k], k))
    out = {}
    for k, v in scores.items():
        words = v["words"]
        scored = words > 0
        diff = (v["loglik"] - scores[best]["loglik"])[scored]
        w = words[scored]
        m = int(scored.sum())
        gap = logp[k] - logp[best]
        if k == best:
            se = 0.0 if m >= 2 else float("nan")
        elif m < 2:
            se = float("nan")
        else:
            resid = diff - diff.sum() / w.sum() * w
            doc_var = m / (m - 1) * float(np.sum(resid**2)) / w.sum() ** 2
            se = float(np.sqrt(doc_var + _seed_var(v["logp"]) + _seed_var(scores[best]["logp"])))
        ratio = float(np.exp(gap))
        out[k] = {
            "perplexity": float(np.exp(logp[k])),
            "excess": ratio - 1,
            "excess_se": ratio * se,
            "perplexity_spread": float(np.exp(v["logp"].max()) - np.exp(v["logp"].min())),
        }
    return out


def _assemble(plan: SweepPlan, splits: dict, fitted: dict, palettes: Any) -> SweepResult:
    """The metrics table and the models of every cell, from the fits of `plan`."""
    rows, best, seeds = [], {}, {}
    ks, n_restarts = plan.n_topics, plan.n_restarts
    for b in plan.bits:
        dt, held = splits[b]
        held_counts = dt.counts[held]
        present = word_presence(dt.counts)  # once per depth, not twice per model: a large corpus's biggest copy
        scores = {}
        for k in ks:
            models = [fitted[(b, k, r)] for r in range(n_restarts)]
            scores[k] = _heldout(models, held_counts)
            lls = [x.meta_.get("log_likelihood") for x in models]
            # the best restart: highest training log-likelihood (held-out perplexity missed merged topics)
            i = (
                int(np.argmax(lls))
                if None not in lls
                else int(np.argmin([x.meta_["heldout_perplexity"] for x in models]))
            )
            m = models[i]
            pairs = [(x, y) for x in range(n_restarts) for y in range(x + 1, n_restarts)]
            stab = (
                np.mean([matched_similarity(models[x].components_, models[y].components_) for x, y in pairs])
                if pairs
                else np.nan
            )  # one restart: no stability to measure
            rows.append(
                {
                    "bits": b,
                    "n_topics": k,
                    "coherence_npmi": float(np.nanmean(coherence_npmi(m.components_, dt.counts, presence=present))),
                    "coherence_umass": float(np.nanmean(coherence_umass(m.components_, dt.counts, presence=present))),
                    "diversity": topic_diversity(m.components_),
                    "stability": float(stab),
                    "fit_seconds": float(sum(x.meta_.get("fit_seconds", np.nan) for x in models)),
                    "n_iter": int(m.meta_.get("n_iter", 0)),
                    "cached": all(x.meta_.get("cached", False) for x in models),
                    "vocabulary": len(dt.colors),
                    "n_documents": dt.n_docs,
                    "n_heldout": len(held),
                }
            )
            best[(b, k)], seeds[(b, k)] = m, models
        compared = compare_heldout(scores)
        for row in rows[-len(ks) :]:
            row.update(compared[row["n_topics"]])
    table = pd.DataFrame(rows)
    first = ["bits", "n_topics", "perplexity", "excess", "excess_se", "perplexity_spread"]
    table = table[first + [c for c in table.columns if c not in first]]
    return SweepResult(table, ByShare(best, palettes), seeds, plan.random_state)
