// CPU building blocks of the STFT family: frames are processed in cache-sized blocks, so no op ever
// holds the complex spectrogram of the whole batch unless it is the op's output.
#pragma once

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

#include "spectral/framing.h"

namespace sonix::cpu {

struct BlockPlan {
  int64_t size;     // frames per block
  int64_t per_row;  // blocks per row
  int64_t n_frames;
};

// ~1 MiB of float frames per block (measured best of 256 KiB / 1 MiB / 2 MiB on the librosa and
// Whisper presets): large enough to amortise the per-call cost of the FFT (plan set-up), small
// enough to stay cache-resident with its complex output. Blocks that scatter (overlap-add) span at least
// n_fft samples so that only neighbouring blocks overlap (see parallel_blocks).
inline BlockPlan plan_blocks(const FrameGeometry& g, bool scatter) {
  int64_t size = std::clamp<int64_t>((int64_t{1} << 18) / std::max<int64_t>(g.n_fft, 1), 4, 512);
  if (scatter) size = std::max(size, (g.n_fft + g.hop - 1) / g.hop);
  size = std::min(size, g.n_frames);
  return BlockPlan{size, (g.n_frames + size - 1) / size, g.n_frames};
}

// Calls body(scratch, row, first_frame, n_frames_in_block) for every block, in parallel over rows and
// blocks. With two_phase, even blocks of every row run before odd ones: blocks that overlap-add into
// the same output samples are then never in flight together, so scatters need no locks.
template <typename MakeScratch, typename Body>
void parallel_blocks(int64_t rows, const BlockPlan& plan, bool two_phase, const MakeScratch& make_scratch,
                     const Body& body) {
  const int64_t phases = two_phase ? 2 : 1;
  for (int64_t phase = 0; phase < phases; ++phase) {
    const int64_t per_row = two_phase ? (plan.per_row - phase + 1) / 2 : plan.per_row;
    if (per_row <= 0) continue;
    at::parallel_for(0, rows * per_row, 1, [&](int64_t begin, int64_t end) {
      auto scratch = make_scratch();
      for (int64_t item = begin; item < end; ++item) {
        const int64_t row = item / per_row;
        const int64_t blk = two_phase ? (item % per_row) * 2 + phase : item % per_row;
        const int64_t f0 = blk * plan.size;
        body(scratch, row, f0, std::min(plan.size, plan.n_frames - f0));
      }
    });
  }
}

// Pads, frames and windows frames [f0, f0 + nf) of one row into out (nf, n_fft).
template <typename in_t, typename acc_t>
void frame_block(const in_t* x, const acc_t* w, const FrameGeometry& g, int64_t f0, int64_t nf, acc_t* out) {
  for (int64_t j = 0; j < nf; ++j) {
    const int64_t start = (f0 + j) * g.hop;
    const int64_t s = start - g.pad;
    acc_t* o = out + j * g.n_fft;
    if (s >= 0 && s + g.n_fft <= g.length) {
      const in_t* xs = x + s;
      for (int64_t k = 0; k < g.n_fft; ++k) o[k] = static_cast<acc_t>(xs[k]) * w[k];
    } else {
      for (int64_t k = 0; k < g.n_fft; ++k) {
        const int64_t idx = source_index(start + k, g);
        o[k] = idx < 0 ? acc_t(0) : static_cast<acc_t>(x[idx]) * w[k];
      }
    }
  }
}

// Windows frames (nf, n_fft) and adds them into a row in padded coordinates.
template <typename acc_t>
void overlap_add_block(const acc_t* frames, const acc_t* w, const FrameGeometry& g, int64_t f0, int64_t nf,
                       acc_t* row) {
  for (int64_t j = 0; j < nf; ++j) {
    acc_t* dst = row + (f0 + j) * g.hop;
    const acc_t* src = frames + j * g.n_fft;
    for (int64_t k = 0; k < g.n_fft; ++k) dst[k] += src[k] * w[k];
  }
}

// Unnormalised transforms over the last dim of a (frames, n) block. The returning forms avoid the
// extra copy ATen's out= variants make when the result is only read (or edited in place) afterwards.
inline at::Tensor rfft_rows(const at::Tensor& frames) { return at::_fft_r2c(frames, {1}, 0, true).contiguous(); }
inline at::Tensor irfft_rows(const at::Tensor& spec, int64_t n_fft) {
  return at::_fft_c2r(spec, {1}, 0, n_fft).contiguous();
}
inline void rfft_block(const at::Tensor& frames, at::Tensor& out) { at::_fft_r2c_out(out, frames, {1}, 0, true); }
inline void fft_block(const at::Tensor& frames, at::Tensor& out) { at::_fft_r2c_out(out, frames, {1}, 0, false); }
inline void irfft_block(const at::Tensor& spec, int64_t n_fft, at::Tensor& out) {
  at::_fft_c2r_out(out, spec, {1}, 0, n_fft);
}
inline void ifft_block(const at::Tensor& spec, at::Tensor& out) { at::_fft_c2c_out(out, spec, {1}, 0, false); }

}  // namespace sonix::cpu

namespace sonix::cpu {

// Adjoint of padding for whole rows: grad_x[b, i] = sum of gp[b, p] over padded positions p reading i.
template <typename acc_t>
void fold_rows(const acc_t* gp, int64_t rows, int64_t padded_len, const FrameGeometry& g, acc_t* grad_x) {
  at::parallel_for(0, rows * g.length, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t idx = begin; idx < end; ++idx) {
      const int64_t b = idx / g.length, i = idx % g.length;
      grad_x[idx] = fold_padded(gp + b * padded_len, i, g);
    }
  });
}

// Sum of the squared window over the frames covering each position of the padded row (the istft
// normaliser).
template <typename acc_t>
std::vector<acc_t> window_envelope(const acc_t* w, const FrameGeometry& g, int64_t padded_len) {
  std::vector<acc_t> env(padded_len, acc_t(0));
  for (int64_t f = 0; f < g.n_frames; ++f)
    for (int64_t k = 0; k < g.n_fft; ++k) env[f * g.hop + k] += w[k] * w[k];
  return env;
}

}  // namespace sonix::cpu
