"""Filter design returning coefficient tensors on any device / dtype, batched over parameters.

Biquads follow the RBJ Audio-EQ cookbook (the formulas torchaudio and SoX use): every parameter may be
a Python number or a tensor, and tensor parameters broadcast, so ``cutoff`` of shape (batch,) gives
per-example coefficients ``b, a`` of shape (batch, 3) for :func:`sonix.ops.filters.lfilter`.
Butterworth filters come as second-order sections laid out like ``scipy.signal.butter(...,
output='sos')``.
"""

from __future__ import annotations

import math

import torch

Param = float | torch.Tensor


def _params(*values: Param, dtype: torch.dtype | None, device) -> list[torch.Tensor]:
    tensors = [v for v in values if isinstance(v, torch.Tensor)]
    if dtype is None:
        dtype = tensors[0].dtype if tensors and tensors[0].is_floating_point() else torch.float64
    if device is None:
        device = tensors[0].device if tensors else "cpu"
    return [torch.as_tensor(v, dtype=dtype, device=device) for v in values]


def _pack(b0, b1, b2, a0, a1, a2) -> tuple[torch.Tensor, torch.Tensor]:
    b = torch.stack(torch.broadcast_tensors(b0, b1, b2, a0), -1)[..., :3]
    a = torch.stack(torch.broadcast_tensors(a0, a1, a2, b0), -1)[..., :3]
    return b, a


def _w0_alpha(sample_rate: float, freq: torch.Tensor, Q: torch.Tensor):
    w0 = 2 * math.pi * freq / sample_rate
    return w0, torch.sin(w0) / 2 / Q


def biquad_coeffs(
    kind: str,
    sample_rate: float,
    freq: Param,
    Q: Param = 0.707,
    gain_db: Param = 0.0,
    *,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """RBJ-cookbook biquad ``(b, a)``, each (broadcast shape of the parameters..., 3), not normalised.

    kind: "lowpass", "highpass", "bandpass_skirt" (constant skirt gain, peak gain Q),
    "bandpass" (constant 0 dB peak), "bandreject", "allpass", "peaking" (gain_db at freq),
    "lowshelf", "highshelf" (gain_db below / above freq; Q sets the slope like torchaudio's
    bass / treble). freq, Q, gain_db: numbers or tensors (broadcast together). dtype defaults to the
    first tensor parameter's dtype, else float64; device likewise, else CPU. Differentiable w.r.t.
    tensor parameters.
    """
    if not sample_rate > 0:
        raise ValueError(f"sonix: sample_rate must be > 0, got {sample_rate}")
    freq, Q, gain = _params(freq, Q, gain_db, dtype=dtype, device=device)
    if not torch.compiler.is_compiling() and freq.device.type == "cpu":
        if bool(((freq <= 0) | (freq >= sample_rate / 2)).any()):
            raise ValueError(
                f"sonix: freq must be in (0, sample_rate / 2 = {sample_rate / 2}), got {freq}"
            )
        if bool((Q <= 0).any()):
            raise ValueError(f"sonix: Q must be > 0, got {Q}")
    w0, alpha = _w0_alpha(sample_rate, freq, Q)
    cos = torch.cos(w0)
    one = torch.ones_like(cos)
    if kind == "lowpass":
        return _pack((1 - cos) / 2, 1 - cos, (1 - cos) / 2, 1 + alpha, -2 * cos, 1 - alpha)
    if kind == "highpass":
        return _pack((1 + cos) / 2, -1 - cos, (1 + cos) / 2, 1 + alpha, -2 * cos, 1 - alpha)
    if kind in ("bandpass", "bandpass_skirt"):
        g = torch.sin(w0) / 2 if kind == "bandpass_skirt" else alpha
        return _pack(g, 0 * g, -g, 1 + alpha, -2 * cos, 1 - alpha)
    if kind == "bandreject":
        return _pack(one, -2 * cos, one, 1 + alpha, -2 * cos, 1 - alpha)
    if kind == "allpass":
        return _pack(1 - alpha, -2 * cos, 1 + alpha, 1 + alpha, -2 * cos, 1 - alpha)
    A = torch.exp(gain / 40 * math.log(10))
    if kind == "peaking":
        return _pack(1 + alpha * A, -2 * cos, 1 - alpha * A, 1 + alpha / A, -2 * cos, 1 - alpha / A)
    if kind in ("lowshelf", "highshelf"):
        t1 = 2 * torch.sqrt(A) * alpha
        t2 = (A - 1) * cos
        t3 = (A + 1) * cos
        if kind == "lowshelf":
            return _pack(
                A * ((A + 1) - t2 + t1), 2 * A * ((A - 1) - t3), A * ((A + 1) - t2 - t1),
                (A + 1) + t2 + t1, -2 * ((A - 1) + t3), (A + 1) + t2 - t1,
            )  # fmt: skip
        return _pack(
            A * ((A + 1) + t2 + t1), -2 * A * ((A - 1) + t3), A * ((A + 1) + t2 - t1),
            (A + 1) - t2 + t1, 2 * ((A - 1) - t3), (A + 1) - t2 - t1,
        )  # fmt: skip
    raise ValueError(
        "sonix: kind must be one of lowpass, highpass, bandpass, bandpass_skirt, bandreject, allpass, "
        f"peaking, lowshelf, highshelf; got {kind!r}"
    )


def preemphasis_coeffs(
    coeff: Param = 0.97, *, dtype=None, device=None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``y[n] = x[n] - coeff x[n-1]`` as ``(b, a)`` = ([1, -coeff], [1, 0])."""
    (c,) = _params(coeff, dtype=dtype, device=device)
    one = torch.ones_like(c)
    return torch.stack([one, -c], -1), torch.stack([one, 0 * c], -1)


def deemphasis_coeffs(
    coeff: Param = 0.97, *, dtype=None, device=None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverse of pre-emphasis, ``y[n] = x[n] + coeff y[n-1]``: ``(b, a)`` = ([1, 0], [1, -coeff])."""
    b, a = preemphasis_coeffs(coeff, dtype=dtype, device=device)
    return a, b


# ---- Butterworth ----------------------------------------------------------------------------------


def _quad(r0: torch.Tensor, r1: torch.Tensor) -> torch.Tensor:
    """[1, -(r0 + r1), r0 r1] (real) of a real or conjugate root pair."""
    return torch.stack([torch.ones_like(r0.real), -(r0 + r1).real, (r0 * r1).real], -1)


def _response(sos: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Complex response of (..., S, 6) sections at the point z (...,) of the z-plane."""
    zi = (1 / z).unsqueeze(-1)
    num = sos[..., 0] + sos[..., 1] * zi + sos[..., 2] * zi * zi
    den = sos[..., 3] + sos[..., 4] * zi + sos[..., 5] * zi * zi
    return (num / den).prod(-1)


def butter_sos(
    order: int,
    cutoff: Param | tuple[Param, Param],
    btype: str = "lowpass",
    fs: float = 2.0,
    *,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Digital Butterworth filter as second-order sections (..., n_sections, 6), like
    ``scipy.signal.butter(order, cutoff, btype, fs=fs, output='sos')``.

    cutoff: in the units of fs (default fs=2: normalised to Nyquist = 1); a pair (low, high) for
    bandpass / bandstop; numbers or tensors (broadcast: per-example filters, differentiable). The
    sections are scipy's: same pole / zero pairing, order (poles farthest from the unit circle first)
    and gain placement (section 0). Computed in float64, returned in dtype (default: the cutoff
    tensor's floating dtype, else float64). The pole math is complex: design outside
    torch.compile'd code.
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"sonix: order must be a positive integer, got {order!r}")
    aliases = {
        "low": "lowpass",
        "high": "highpass",
        "band": "bandpass",
        "pass": "bandpass",
        "stop": "bandstop",
    }
    btype = aliases.get(btype, btype)
    if btype not in ("lowpass", "highpass", "bandpass", "bandstop"):
        raise ValueError(
            f"sonix: btype must be lowpass, highpass, bandpass or bandstop, got {btype!r}"
        )
    band = btype in ("bandpass", "bandstop")
    if band and (not isinstance(cutoff, (tuple, list)) or len(cutoff) != 2):
        raise ValueError(f"sonix: btype={btype} needs cutoff=(low, high), got {cutoff!r}")
    values = list(cutoff) if band else [cutoff]
    tensors = [v for v in values if isinstance(v, torch.Tensor)]
    out_dtype = dtype or (
        tensors[0].dtype if tensors and tensors[0].is_floating_point() else torch.float64
    )
    dev = device if device is not None else (tensors[0].device if tensors else "cpu")
    wn = [torch.as_tensor(v, dtype=torch.float64, device=dev) * (2.0 / fs) for v in values]
    if not torch.compiler.is_compiling():
        for w in wn:
            if bool(((w <= 0) | (w >= 1)).any()):
                raise ValueError(f"sonix: cutoff must be in (0, fs / 2 = {fs / 2}), got {cutoff!r}")
        if band and bool((wn[0] >= wn[1]).any()):
            raise ValueError(f"sonix: cutoff must be (low, high) with low < high, got {cutoff!r}")
    shape = torch.broadcast_shapes(*[w.shape for w in wn])
    warped = [(4.0 * torch.tan(math.pi * w / 2)).expand(shape).unsqueeze(-1) for w in wn]  # fs = 2

    def bilinear(p):
        return (4.0 + p) / (4.0 - p)

    # Analog prototype poles of the upper half plane, farthest from the jw axis first (their digital
    # images keep that order of distance to the unit circle): the real pole of odd orders is first.
    m = torch.arange(1 - order, 1, 2, dtype=torch.float64, device=dev).flip(0)
    proto = -torch.exp(1j * math.pi * m / (2 * order))
    if btype in ("lowpass", "highpass"):
        w = warped[0].to(torch.complex128)
        p = bilinear(proto * w if btype == "lowpass" else w / proto)  # (..., ceil(order / 2))
        zd = -1.0 if btype == "lowpass" else 1.0
        odd = order % 2
        cplx = p[..., odd:]  # (..., order // 2), farthest from the unit circle first
        poles = _quad(cplx, cplx.conj())
        both = torch.tensor([1.0, -2 * zd, 1.0], dtype=torch.float64, device=dev)
        zeros = both.expand(poles.shape)
        if odd:
            # scipy pairs the real pole with a pole at the origin and adds a zero at the origin. Its
            # greedy pairing (sections closest to the unit circle first) gives that zero to the first
            # complex section nearer to the origin than to the other zeros, else to the real pole.
            one = torch.tensor([1.0, -zd, 0.0], dtype=torch.float64, device=dev)
            near = cplx.abs() < (cplx - zd).abs()
            later = torch.flip(torch.cumsum(torch.flip(near.long(), [-1]), -1), [-1]) - near.long()
            takes = (near & (later == 0)).unsqueeze(-1)
            zeros = torch.where(takes, one, zeros)
            real = p[..., :1].real.to(torch.complex128)
            poles = torch.cat([_quad(real, torch.zeros_like(real)), poles], -2)
            taken = near.any(-1, keepdim=True).unsqueeze(-1)
            zeros = torch.cat(
                [torch.where(taken, both, one).expand(real.shape[:-1] + (1, 3)), zeros], -2
            )
        sos = torch.cat([zeros, poles], -1)
        zpt = torch.full(
            shape, 1.0 if btype == "lowpass" else -1.0, dtype=torch.complex128, device=dev
        )
    else:
        lo, hi = warped[0].to(torch.complex128), warped[1].to(torch.complex128)
        bw, w0sq = hi - lo, lo * hi
        q = proto * bw / 2 if btype == "bandpass" else (bw / 2) / proto
        disc = torch.sqrt(q * q - w0sq)
        p1, p2 = bilinear(q + disc), bilinear(q - disc)  # each prototype pole gives two
        odd = order % 2
        # Complex prototype poles give two conjugate pairs; the real one (odd order) a real quadratic
        # (two real poles or one conjugate pair).
        quads = [
            _quad(p1[..., odd:], p1[..., odd:].conj()),
            _quad(p2[..., odd:], p2[..., odd:].conj()),
        ]
        key = [p1[..., odd:].abs(), p2[..., odd:].abs()]
        if odd:
            quads.append(_quad(p1[..., :1], p2[..., :1]))
            key.append(torch.maximum(p1[..., :1].abs(), p2[..., :1].abs()))
        poles = torch.cat(quads, -2)
        idx = torch.cat(key, -1).argsort(-1)  # farthest from the unit circle first
        poles = torch.gather(poles, -2, idx.unsqueeze(-1).expand(poles.shape))
        wc = 2 * torch.atan(torch.sqrt(w0sq).real / 4.0)  # digital centre frequency
        if btype == "bandpass":
            # scipy's nearest-zero pairing: the order // 2 sections closest to the unit circle take
            # the zeros at +1, the order // 2 farthest those at -1, a middle one (odd order) one each.
            rows = (
                [[1.0, 2.0, 1.0]] * (order // 2)
                + [[1.0, 0.0, -1.0]] * (order % 2)
                + [[1.0, -2.0, 1.0]] * (order // 2)
            )
            zq = torch.tensor(rows, dtype=torch.float64, device=dev).expand(poles.shape)
            zpt = torch.exp(1j * wc[..., 0])
        else:
            zq = torch.stack(
                [torch.ones_like(wc), -2 * torch.cos(wc), torch.ones_like(wc)], -1
            ).expand(poles.shape)
            zpt = torch.ones(shape, dtype=torch.complex128, device=dev)
        sos = torch.cat([zq, poles], -1)
    k = 1 / _response(sos.to(torch.complex128), zpt).abs()
    b = torch.cat([sos[..., :1, :3] * k[..., None, None], sos[..., 1:, :3]], -2)
    sos = torch.cat([b, sos[..., 3:]], -1)
    return sos.to(out_dtype)
