// Framing, padding and overlap-add index math shared by the CPU and CUDA kernels.
//
// A row of `length` samples is padded by `pad` samples on each side (n_fft / 2 when centred) and cut
// into `n_frames` frames of `n_fft` samples, `hop` apart. Every op in the STFT family is built from
// two primitives over this geometry: framing (gather, used by stft and the istft adjoint) and
// overlap-add (scatter, used by istft and the stft adjoint), which is written as a gather too so the
// CUDA kernels need no atomics and the results are deterministic.
#pragma once

#include <cstdint>

#include "core/hostdevice.h"

namespace sonix {

enum class PadMode : int32_t { Constant = 0, Reflect = 1, Replicate = 2, Circular = 3 };

struct FrameGeometry {
  int64_t length;    // samples per row of the unpadded input
  int64_t n_fft;     // frame length
  int64_t hop;       // frame step
  int64_t pad;       // samples added on each side
  int64_t n_frames;  // frames per row
  PadMode mode;
};

// Index of the input sample that lands at position `p` of the padded row, or -1 where the padded
// row holds a zero. Reflect follows numpy (repeated mirroring, so pads longer than the signal work,
// as in librosa); for pads shorter than the signal it equals torch's reflect.
SONIX_HD int64_t source_index(int64_t p, const FrameGeometry& g) {
  int64_t i = p - g.pad;
  if (i >= 0 && i < g.length) return i;
  switch (g.mode) {
    case PadMode::Reflect: {
      if (g.length == 1) return 0;
      const int64_t period = 2 * (g.length - 1);
      i %= period;
      if (i < 0) i += period;
      return i < g.length ? i : period - i;
    }
    case PadMode::Replicate:
      return i < 0 ? 0 : g.length - 1;
    case PadMode::Circular:
      i %= g.length;
      return i < 0 ? i + g.length : i;
    case PadMode::Constant:
    default:
      return -1;
  }
}

// Frames [first, last] that contain position `p` of the padded row (empty when first > last).
SONIX_HD void frames_covering(int64_t p, const FrameGeometry& g, int64_t& first, int64_t& last) {
  const int64_t lo = p - g.n_fft + 1;
  first = lo <= 0 ? 0 : (lo + g.hop - 1) / g.hop;
  last = p / g.hop;
  if (last > g.n_frames - 1) last = g.n_frames - 1;
}

// Adjoint of padding: the sum of `gp` (a gradient over the padded row) over every padded position
// that reads input sample `i`. Closed forms when the pad is shorter than the row (one mirror image
// at most); otherwise (short rows, repeated mirroring) a walk over the pads, which are then tiny.
template <typename T>
SONIX_HD T fold_padded(const T* gp, int64_t i, const FrameGeometry& g) {
  T acc = gp[i + g.pad];
  if (g.mode == PadMode::Constant || g.pad == 0) return acc;
  const int64_t L = g.length, P = g.pad;
  if (P < L) {
    switch (g.mode) {
      case PadMode::Reflect:
        if (i >= 1 && i <= P) acc += gp[P - i];
        if (i <= L - 2 && i > L - 2 - P) acc += gp[P + 2 * (L - 1) - i];
        break;
      case PadMode::Replicate:
        if (i == 0)
          for (int64_t p = 0; p < P; ++p) acc += gp[p];
        if (i == L - 1)
          for (int64_t p = P + L; p < 2 * P + L; ++p) acc += gp[p];
        break;
      case PadMode::Circular:
        if (i >= L - P) acc += gp[i - L + P];
        if (i < P) acc += gp[i + P + L];
        break;
      default:
        break;
    }
    return acc;
  }
  for (int64_t p = 0; p < P; ++p)
    if (source_index(p, g) == i) acc += gp[p];
  for (int64_t p = P + L; p < 2 * P + L; ++p)
    if (source_index(p, g) == i) acc += gp[p];
  return acc;
}

}  // namespace sonix
