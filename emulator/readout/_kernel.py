"""The Numba kernel that turns one batch of measurement outcomes into detector time tags.

Everything here works on dense channel indices 0..n_channels-1; `stage.py` maps them to channel ids,
checks inputs and owns the state carried from batch to batch. The output is written as packed 16-byte
records (two int64 words each) so that the caller can view it as `TIMETAG_DTYPE` without a copy:
word 0 = type | missed << 16 | channel << 32 (little endian: bytes type, reserved, missed, channel),
word 1 = time_ps.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from emulator.readout._rng import exponential, normal, seed_state, uniform

_TAG = 0
_OVERFLOW_BEGIN = 2
_OVERFLOW_END = 3
_MISSED_EVENTS = 4
_FAR_FUTURE = np.int64(2**62)


@njit(cache=True, inline="always")
def _word0(rtype: int, missed: int, channel: int) -> np.int64:
    return (np.int64(channel) << np.int64(32)) | (np.int64(missed) << np.int64(16)) | np.int64(rtype)


@njit(cache=True, inline="always")
def _heap_push(ht: np.ndarray, hc: np.ndarray, n: int, t: np.int64, c: np.int32) -> int:
    """Push (t, c) on the min-heap held in ht/hc[:n] (capacity reserved by the caller); returns the new size."""
    i = n
    while i > 0:
        p = (i - 1) >> 1
        if ht[p] < t or (ht[p] == t and hc[p] <= c):
            break
        ht[i] = ht[p]
        hc[i] = hc[p]
        i = p
    ht[i] = t
    hc[i] = c
    return n + 1


@njit(cache=True)
def _heap_pop(ht: np.ndarray, hc: np.ndarray, n: int) -> int:
    """Remove the heap's top (read it from ht[0], hc[0] first); returns the new size."""
    n -= 1
    t = ht[n]
    c = hc[n]
    i = 0
    while True:
        k = 2 * i + 1
        if k >= n:
            break
        if k + 1 < n and (ht[k + 1] < ht[k] or (ht[k + 1] == ht[k] and hc[k + 1] < hc[k])):
            k += 1
        if t < ht[k] or (t == ht[k] and c <= hc[k]):
            break
        ht[i] = ht[k]
        hc[i] = hc[k]
        i = k
    ht[i] = t
    hc[i] = c
    return n


_RANK_SORT_MAX = 64  # runs of simultaneous tags up to this size are sorted without a comparison sort
_COUNT_SORT_SPAN_PS = 1024  # ... by counting sort over their times when they spread over at most this many ps


@njit(cache=True)
def _signal_clicks(outcomes, present, chan_map, slot_order, slot_ps, period_ps, t0_ps, eff, jitter_ps, st, sc, rng):
    """Detected photons of the batch, sorted by time: views (times int64[k], channels int32[k]) of st, sc.

    `st`, `sc` are the caller's workspace, at least n_rounds * n_slots long (reused from batch to batch so
    that their pages are not faulted in again on every call).

    Per round: (1) which slots click, without a branch per slot (`present` is random, and a branch on it
    would mispredict about every other slot), so one uniform is drawn for every slot; (2) the click times,
    slot + jitter; (3) the order. Slots are visited in time order, so only jitter reorders tags: inside a run
    of simultaneous slots the order is random, and a compare-and-branch insertion would mispredict on nearly
    every tag. A run is sorted branch-free: by counting sort over its times (jitter spreads a run over a few
    sigma, ~100 ps at 15 ps; all 49 slots of a d=5 frame are one run, and counting ranks, O(run^2), took
    2/3 of the whole emulator's time there), or by counting each tag's rank when it spreads wider. Both
    keep equal times in slot order.
    """
    n_rounds = outcomes.shape[0]
    n_slots = slot_order.shape[0]
    kq = np.empty(n_slots, dtype=np.int64)
    kc = np.empty(n_slots, dtype=np.int32)
    kt = np.empty(n_slots, dtype=np.int64)
    ks = np.empty(n_slots, dtype=np.int64)
    cnt = np.empty(_COUNT_SORT_SPAN_PS + 1, dtype=np.int64)
    k = 0
    for r in range(n_rounds):
        base = t0_ps + r * period_ps
        m = 0
        for j in range(n_slots):
            q = slot_order[j]
            ch = chan_map[q, outcomes[r, q]]
            keep = (present[r, q] != 0) & (uniform(rng) < eff[ch])
            kq[m] = q
            kc[m] = ch
            m += keep
        for a in range(m):
            ch = kc[a]
            dt = 0.0
            sig = jitter_ps[ch]
            if sig > 0.0:
                dt = sig * normal(rng)
            ks[a] = slot_ps[kq[a]]
            kt[a] = base + ks[a] + np.int64(math.floor(dt + 0.5))
        a = 0
        while a < m:
            b = a + 1
            while b < m and ks[b] == ks[a]:
                b += 1
            run = b - a
            if run == 1:
                st[k] = kt[a]
                sc[k] = kc[a]
            elif run <= _RANK_SORT_MAX:
                lo = hi = kt[a]
                for u in range(a + 1, b):
                    lo = min(lo, kt[u])
                    hi = max(hi, kt[u])
                span = hi - lo + 1
                if span <= _COUNT_SORT_SPAN_PS:
                    for v in range(span + 1):
                        cnt[v] = 0
                    for u in range(a, b):  # cnt[d + 1]: tags at lo + d; then prefix sums: where time lo + d starts
                        cnt[kt[u] - lo + 1] += 1
                    for v in range(1, span + 1):
                        cnt[v] += cnt[v - 1]
                    for u in range(a, b):  # in slot order, so equal times stay in slot order
                        d = kt[u] - lo
                        at = k + cnt[d]
                        cnt[d] += 1
                        st[at] = kt[u]
                        sc[at] = kc[u]
                else:
                    for u in range(a, b):
                        tu = kt[u]
                        rank = 0
                        for v in range(a, u):  # ties keep slot order: earlier equal tags rank first
                            rank += kt[v] <= tu
                        for v in range(u + 1, b):
                            rank += kt[v] < tu
                        st[k + rank] = tu
                        sc[k + rank] = kc[u]
            else:
                order = np.argsort(kt[a:b], kind="mergesort")
                for u in range(run):
                    st[k + u] = kt[a + order[u]]
                    sc[k + u] = kc[a + order[u]]
            if k > 0 and st[k] < st[k - 1]:
                # Slots closer than the jitter (or a round's first slot near the previous round's last):
                # merge the run into the earlier tags by insertion.
                for u in range(k, k + run):
                    t = st[u]
                    c = sc[u]
                    i = u
                    while i > 0 and st[i - 1] > t:
                        st[i] = st[i - 1]
                        sc[i] = sc[i - 1]
                        i -= 1
                    st[i] = t
                    sc[i] = c
            k += run
            a = b
    return st[:k], sc[:k]


@njit(cache=True)
def _cumulative(density, period_ps):
    """Integrated density at round boundaries, float64 (n_rounds + 1,), and whether the density is all 1."""
    n_rounds = density.shape[0]
    cum = np.empty(n_rounds + 1, dtype=np.float64)
    cum[0] = 0.0
    ones = True
    for r in range(n_rounds):
        cum[r + 1] = cum[r] + density[r] * period_ps
        ones = ones and density[r] == 1.0
    return cum, ones


@njit(cache=True)
def _poisson_fill(x, lam, cum, density, ones, period_ps, t0_ps, c, out_t, out_c, n, rng):
    """Continue channel c's Poisson process of intensity lam * density[r] from integrated intensity x.

    Arrivals are unit-rate in integrated-intensity space and mapped back through the piecewise-linear
    cumulative `cum`. Writes from out_t[n] until the batch ends or the arrays are full; returns
    (n, x, done). Resumable, and it draws the same numbers whatever the array capacity.
    """
    n_rounds = density.shape[0]
    total = cum[n_rounds]
    cap = out_t.shape[0]
    while n < cap:
        x += exponential(rng) / lam
        if x >= total:
            return n, x, True
        if ones:
            t = t0_ps + np.int64(x)
        else:
            lo = 0
            hi = n_rounds
            while hi - lo > 1:
                mid = (lo + hi) >> 1
                if cum[mid] <= x:
                    lo = mid
                else:
                    hi = mid
            t = t0_ps + lo * period_ps + np.int64((x - cum[lo]) / density[lo])
        out_t[n] = t
        out_c[n] = c
        n += 1
    return n, x, False


@njit(cache=True)
def _dark_clicks(period_ps, t0_ps, dark_per_ps, dark_scale, dark_extra_per_ps, rng):
    """Dark counts on every channel over [t0, t0 + n_rounds * period), sorted by time.

    Channel c in round r is a Poisson process of rate dark_per_ps[c] * dark_scale[r] + dark_extra_per_ps[r]:
    the superposition of two independent processes, drawn one after the other.
    """
    n_ch = dark_per_ps.shape[0]
    cum_s, ones_s = _cumulative(dark_scale, period_ps)
    cum_e, ones_e = _cumulative(dark_extra_per_ps, period_ps)
    n_rounds = dark_scale.shape[0]
    expected = 0.0
    for c in range(n_ch):
        expected += dark_per_ps[c] * cum_s[n_rounds] + cum_e[n_rounds]
    cap = int(expected + 6.0 * math.sqrt(expected)) + 16
    dt_ = np.empty(cap, dtype=np.int64)
    dc = np.empty(cap, dtype=np.int32)
    n = 0
    for c in range(n_ch):
        for proc in range(2):
            if proc == 0:
                lam, cum, dens, ones = dark_per_ps[c], cum_s, dark_scale, ones_s
            else:
                lam, cum, dens, ones = 1.0, cum_e, dark_extra_per_ps, ones_e
            if lam <= 0.0 or cum[n_rounds] <= 0.0:
                continue
            x = 0.0
            while True:
                n, x, done = _poisson_fill(x, lam, cum, dens, ones, period_ps, t0_ps, c, dt_, dc, n, rng)
                if done:
                    break
                a = np.empty(2 * cap, dtype=np.int64)
                b = np.empty(2 * cap, dtype=np.int32)
                a[:n] = dt_[:n]
                b[:n] = dc[:n]
                dt_, dc = a, b
                cap *= 2
    order = np.argsort(dt_[:n], kind="mergesort")
    return dt_[:n][order], dc[:n][order]


_P_I, _P_J, _P_HN, _P_NTAGS, _P_ANY_MISSED, _P_FIRST_MISSED, _P_LAST_MISSED = 0, 1, 2, 3, 4, 5, 6
_POS_LEN = 7


@njit(cache=True)
def _merge(st, sc, dt_, dc, ht, hc, pos, out, t_end, last_click, dead_ps, ap_prob, ap_mean_ps, channel_ids,
           missed, max_tags, rng) -> bool:
    """Merge signal, dark and afterpulse clicks in time order through dead time into `out`.

    Resumable: the cursor lives in `pos`; returns True when `out` is full (the caller grows it and calls
    again), False when done. Kept apart from the allocation so that no array is rebound inside the loop
    (rebinding makes Numba reference-count the array on every iteration, five times slower).
    """
    i = pos[_P_I]
    j = pos[_P_J]
    hn = pos[_P_HN]
    n_tags = pos[_P_NTAGS]
    cap = out.shape[0] // 2
    ns = st.shape[0]
    nd = dt_.shape[0]
    full = False
    while True:
        if n_tags == cap and n_tags < max_tags:
            full = True
            break
        ts = st[i] if i < ns else _FAR_FUTURE
        td = dt_[j] if j < nd else _FAR_FUTURE
        # Afterpulses due after this batch wait in the heap and are carried to the next batch.
        th = ht[0] if hn > 0 and ht[0] < t_end else _FAR_FUTURE
        if ts <= td and ts <= th:
            if ts == _FAR_FUTURE:
                break
            t = ts
            c = sc[i]
            i += 1
        elif td <= th:
            t = td
            c = dc[j]
            j += 1
        else:
            t = th
            c = hc[0]
            hn = _heap_pop(ht, hc, hn)
        if t - last_click[c] < dead_ps[c]:
            continue  # non-paralyzable dead time: a suppressed click does not extend it
        last_click[c] = t
        if n_tags < max_tags:
            out[2 * n_tags] = _word0(_TAG, 0, channel_ids[c])
            out[2 * n_tags + 1] = t
            n_tags += 1
        else:
            if pos[_P_ANY_MISSED] == 0:
                pos[_P_FIRST_MISSED] = t
                pos[_P_ANY_MISSED] = 1
            pos[_P_LAST_MISSED] = t
            missed[c] += 1
        p = ap_prob[c]
        if p > 0.0 and uniform(rng) < p:
            # The afterpulse fires once the detector has re-armed (trapped carriers released after the hold-off).
            ta = t + dead_ps[c] + np.int64(math.floor(exponential(rng) * ap_mean_ps[c] + 0.5))
            hn = _heap_push(ht, hc, hn, ta, np.int32(c))
    pos[_P_I] = i
    pos[_P_J] = j
    pos[_P_HN] = hn
    pos[_P_NTAGS] = n_tags
    return full


@njit(cache=True)
def readout_batch(
    outcomes,  # uint8 (n_rounds, n_meas)
    present,  # uint8 (n_rounds, n_meas)
    chan_map,  # int32 (n_meas, 2) dense channel index per rail
    slot_order,  # int64 (n_meas,) measurement indices sorted by slot
    slot_ps,  # int64 (n_meas,)
    period_ps,  # int64
    t0_ps,  # int64 time of round 0 of the batch
    channel_ids,  # int32 (n_ch,) channel id written to the records
    eff,  # float64 (n_ch,)
    dark_per_ps,  # float64 (n_ch,)
    dark_scale,  # float64 (n_rounds,) multiplier of the dark rate per round
    dark_extra_per_ps,  # float64 (n_rounds,) extra dark rate per round on every channel (stray light)
    jitter_ps,  # float64 (n_ch,)
    dead_ps,  # int64 (n_ch,)
    ap_prob,  # float64 (n_ch,)
    ap_mean_ps,  # float64 (n_ch,)
    last_click,  # int64 (n_ch,) in/out: time of the last registered click per channel
    carry_t,  # int64 (m,) afterpulses pending from the previous batch
    carry_c,  # int32 (m,)
    work_t,  # int64 (>= n_rounds * n_meas,) workspace
    work_c,  # int32 (>= n_rounds * n_meas,) workspace
    seed,  # uint64
    max_tags,  # int64
):
    """One batch -> (records int64[2 * n], pending afterpulse times int64[:], their channels int32[:])."""
    rng = seed_state(seed)
    n_rounds = outcomes.shape[0]
    n_ch = channel_ids.shape[0]
    t_end = t0_ps + n_rounds * period_ps
    st, sc = _signal_clicks(
        outcomes, present, chan_map, slot_order, slot_ps, period_ps, t0_ps, eff, jitter_ps, work_t, work_c, rng
    )
    dt_, dc = _dark_clicks(period_ps, t0_ps, dark_per_ps, dark_scale, dark_extra_per_ps, rng)

    ns = st.shape[0]
    nd = dt_.shape[0]
    m = carry_t.shape[0]
    # Each click pushes at most one afterpulse and an afterpulse is pushed only when one is popped or a
    # signal/dark click is taken, so the heap never holds more than m + ns + nd entries.
    ht = np.empty(m + ns + nd + 1, dtype=np.int64)
    hc = np.empty(m + ns + nd + 1, dtype=np.int32)
    hn = 0
    for k in range(m):
        hn = _heap_push(ht, hc, hn, carry_t[k], carry_c[k])
    missed = np.zeros(n_ch, dtype=np.int64)
    pos = np.zeros(_POS_LEN, dtype=np.int64)
    pos[_P_HN] = hn
    cap = min(max_tags, ns + nd + m + 64) + 2
    out = np.empty(2 * cap, dtype=np.int64)
    while _merge(st, sc, dt_, dc, ht, hc, pos, out, t_end, last_click, dead_ps, ap_prob, ap_mean_ps,
                 channel_ids, missed, max_tags, rng):
        o2 = np.empty(4 * cap, dtype=np.int64)
        o2[: 2 * cap] = out
        out = o2
        cap *= 2
    n_tags = pos[_P_NTAGS]
    any_missed = pos[_P_ANY_MISSED] != 0
    first_missed = pos[_P_FIRST_MISSED]
    last_missed = pos[_P_LAST_MISSED]
    hn = pos[_P_HN]

    n_out = n_tags
    if any_missed:
        n_rec = 2
        for c in range(n_ch):
            n_rec += (missed[c] + 65534) // 65535
        o2 = np.empty(2 * (n_tags + n_rec), dtype=np.int64)
        o2[: 2 * n_tags] = out[: 2 * n_tags]
        out = o2
        out[2 * n_out] = _word0(_OVERFLOW_BEGIN, 0, -1)
        out[2 * n_out + 1] = first_missed
        n_out += 1
        out[2 * n_out] = _word0(_OVERFLOW_END, 0, -1)
        out[2 * n_out + 1] = last_missed
        n_out += 1
        for c in range(n_ch):
            left = missed[c]
            while left > 0:
                part = min(left, 65535)
                out[2 * n_out] = _word0(_MISSED_EVENTS, part, channel_ids[c])
                out[2 * n_out + 1] = last_missed
                n_out += 1
                left -= part

    pend_t = np.empty(hn, dtype=np.int64)
    pend_c = np.empty(hn, dtype=np.int32)
    k = 0
    while hn > 0:
        pend_t[k] = ht[0]
        pend_c[k] = hc[0]
        hn = _heap_pop(ht, hc, hn)
        k += 1
    return out[: 2 * n_out], pend_t, pend_c
