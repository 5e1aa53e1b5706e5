// CPU kernels of stft / istft and their adjoints (the backward ops).
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <torch/library.h>

#include "spectral/blocks_cpu.h"
#include "spectral/spectral_common.h"

namespace sonix {
namespace {

using namespace sonix::cpu;

at::ScalarType real_of_complex(const at::Tensor& t, const char* name) {
  SONIX_CHECK(t.is_complex(), name, " must be a complex tensor (complex64 or complex128), got ", t.scalar_type());
  return t.scalar_type() == at::kComplexDouble ? at::kDouble : at::kFloat;
}

// Checks an istft input (batch, n_freq, n_frames) and returns its n_frames.
int64_t check_spec(const at::Tensor& spec, const at::Tensor& window, int64_t n_fft, bool onesided, const char* name) {
  check_dim(spec, 3, name);
  SONIX_CHECK(spec.size(0) >= 1 && spec.size(2) >= 1, name, " must be non-empty, got shape ", spec.sizes());
  SONIX_CHECK(spec.size(1) == n_freq_of(n_fft, onesided), name, " must have ", n_freq_of(n_fft, onesided),
              " frequency bins for n_fft=", n_fft, onesided ? " (onesided)" : " (two-sided)", ", got shape ",
              spec.sizes());
  check_window(window, spec, n_fft);
  return spec.size(2);
}

template <typename acc_t>
void check_nola(const std::vector<acc_t>& env, int64_t begin, int64_t end) {
  for (int64_t p = begin; p < end; ++p) {
    SONIX_CHECK(std::abs(env[p]) > acc_t(1e-11),
                "window overlap-add is zero at sample ", p - begin,
                ": the window and hop_length do not satisfy the NOLA condition, the signal cannot be inverted");
  }
}

}  // namespace

at::Tensor stft_cpu(const at::Tensor& input, const at::Tensor& window, int64_t n_fft, int64_t hop, bool center,
                    c10::string_view pad_mode, bool onesided) {
  const FrameGeometry g = analysis_geometry(input, window, n_fft, hop, center, pad_mode);
  const auto ct = compute_type(input.scalar_type());
  const at::Tensor x = input.contiguous();
  const at::Tensor w = window.to(ct).contiguous();
  const int64_t rows = x.size(0), n_freq = n_freq_of(n_fft, onesided);
  at::Tensor out = at::empty({rows, g.n_frames, n_freq}, x.options().dtype(complex_type(ct)));
  const BlockPlan plan = plan_blocks(g, false);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_stft_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const scalar_t* xp = x.const_data_ptr<scalar_t>();
    const acc_t* wp = w.const_data_ptr<acc_t>();
    parallel_blocks(
        rows, plan, false, [&] { return at::empty({plan.size, n_fft}, x.options().dtype(ct)); },
        [&](at::Tensor& frames, int64_t b, int64_t f0, int64_t nf) {
          frame_block(xp + b * g.length, wp, g, f0, nf, frames.mutable_data_ptr<acc_t>());
          at::Tensor dst = out.select(0, b).narrow(0, f0, nf);
          const at::Tensor src = frames.narrow(0, 0, nf);
          if (onesided) rfft_block(src, dst);
          else fft_block(src, dst);
        });
  });
  return out.transpose(1, 2);
}

// Adjoint of stft: frames_grad = sum_k G_k e^{+2 pi i k n / N} (each one-sided bin standing for itself
// and its conjugate), windowed, overlap-added and folded back through the padding.
at::Tensor stft_backward_cpu(const at::Tensor& grad, const at::Tensor& window, int64_t n_fft, int64_t hop,
                             bool center, c10::string_view pad_mode, bool onesided, int64_t length) {
  const auto ct = real_of_complex(grad, "grad");
  SONIX_CHECK(length >= 1, "length must be >= 1, got ", length);
  FrameGeometry g;
  g.length = length;
  g.n_fft = n_fft;
  g.hop = hop;
  g.pad = center ? n_fft / 2 : 0;
  g.mode = parse_pad_mode(pad_mode);
  g.n_frames = 1 + (length + 2 * g.pad - n_fft) / hop;
  check_spec(grad, window, n_fft, onesided, "grad");
  SONIX_CHECK(grad.size(2) == g.n_frames, "grad has ", grad.size(2), " frames, expected ", g.n_frames);
  const int64_t rows = grad.size(0), n_freq = grad.size(1), padded_len = length + 2 * g.pad;
  const at::Tensor w = window.to(ct).contiguous();
  const at::Tensor G = grad.to(complex_type(ct));
  at::Tensor gp = at::zeros({rows, padded_len}, grad.options().dtype(ct));
  at::Tensor grad_x = at::empty({rows, length}, grad.options().dtype(ct));
  const BlockPlan plan = plan_blocks(g, true);
  AT_DISPATCH_FLOATING_TYPES(ct, "sonix_stft_backward_cpu", [&] {
    using acc_t = scalar_t;
    using cplx = c10::complex<acc_t>;
    const cplx* gptr = G.const_data_ptr<cplx>();
    const int64_t s0 = G.stride(0), s1 = G.stride(1), s2 = G.stride(2);
    const acc_t* wp = w.const_data_ptr<acc_t>();
    acc_t* gpp = gp.mutable_data_ptr<acc_t>();
    struct Scratch {
      at::Tensor spec, frames, cframes;
    };
    parallel_blocks(
        rows, plan, true,
        [&] {
          return Scratch{at::empty({plan.size, n_freq}, G.options()), at::empty({plan.size, n_fft}, w.options()),
                         onesided ? at::Tensor() : at::empty({plan.size, n_fft}, G.options())};
        },
        [&](Scratch& s, int64_t b, int64_t f0, int64_t nf) {
          cplx* sp = s.spec.mutable_data_ptr<cplx>();
          for (int64_t j = 0; j < nf; ++j)
            for (int64_t k = 0; k < n_freq; ++k) {
              const cplx v = gptr[b * s0 + k * s1 + (f0 + j) * s2];
              sp[j * n_freq + k] = onesided ? v * acc_t(onesided_adjoint_weight(k, n_fft)) : v;
            }
          at::Tensor frames = s.frames.narrow(0, 0, nf);
          if (onesided) {
            irfft_block(s.spec.narrow(0, 0, nf), n_fft, frames);
          } else {
            at::Tensor cf = s.cframes.narrow(0, 0, nf);
            ifft_block(s.spec.narrow(0, 0, nf), cf);
            frames.copy_(at::real(cf));
          }
          overlap_add_block(frames.const_data_ptr<acc_t>(), wp, g, f0, nf, gpp + b * padded_len);
        });
    fold_rows(gp.const_data_ptr<acc_t>(), rows, padded_len, g, grad_x.mutable_data_ptr<acc_t>());
  });
  return grad_x;
}

at::Tensor istft_cpu(const at::Tensor& spec, const at::Tensor& window, int64_t n_fft, int64_t hop, bool center,
                     bool onesided, int64_t length) {
  const auto ct = real_of_complex(spec, "input");
  const int64_t n_frames = check_spec(spec, window, n_fft, onesided, "input");
  const FrameGeometry g = synthesis_geometry(n_frames, n_fft, hop, center);
  const int64_t out_len = istft_length(g, length);
  const int64_t rows = spec.size(0), n_freq = spec.size(1), padded_len = n_fft + hop * (n_frames - 1);
  const at::Tensor w = window.to(ct).contiguous();
  const at::Tensor S = spec.to(complex_type(ct));
  at::Tensor ypad = at::zeros({rows, padded_len}, spec.options().dtype(ct));
  at::Tensor y = at::empty({rows, out_len}, spec.options().dtype(ct));
  const BlockPlan plan = plan_blocks(g, true);
  AT_DISPATCH_FLOATING_TYPES(ct, "sonix_istft_cpu", [&] {
    using acc_t = scalar_t;
    using cplx = c10::complex<acc_t>;
    const acc_t* wp = w.const_data_ptr<acc_t>();
    const std::vector<acc_t> env = window_envelope(wp, g, padded_len);
    check_nola(env, g.pad, std::min(g.pad + out_len, padded_len));
    const cplx* sptr = S.const_data_ptr<cplx>();
    const int64_t s0 = S.stride(0), s1 = S.stride(1), s2 = S.stride(2);
    acc_t* yp = ypad.mutable_data_ptr<acc_t>();
    struct Scratch {
      at::Tensor spec, frames, cframes;
    };
    parallel_blocks(
        rows, plan, true,
        [&] {
          return Scratch{at::empty({plan.size, n_freq}, S.options()), at::empty({plan.size, n_fft}, w.options()),
                         onesided ? at::Tensor() : at::empty({plan.size, n_fft}, S.options())};
        },
        [&](Scratch& s, int64_t b, int64_t f0, int64_t nf) {
          cplx* sp = s.spec.mutable_data_ptr<cplx>();
          for (int64_t j = 0; j < nf; ++j)
            for (int64_t k = 0; k < n_freq; ++k) sp[j * n_freq + k] = sptr[b * s0 + k * s1 + (f0 + j) * s2];
          at::Tensor frames = s.frames.narrow(0, 0, nf);
          if (onesided) {
            irfft_block(s.spec.narrow(0, 0, nf), n_fft, frames);
          } else {
            at::Tensor cf = s.cframes.narrow(0, 0, nf);
            ifft_block(s.spec.narrow(0, 0, nf), cf);
            frames.copy_(at::real(cf));
          }
          overlap_add_block(frames.const_data_ptr<acc_t>(), wp, g, f0, nf, yp + b * padded_len);
        });
    acc_t* out = y.mutable_data_ptr<acc_t>();
    const acc_t inv_n = acc_t(1) / acc_t(n_fft);  // the unnormalised inverse FFT above
    at::parallel_for(0, rows * out_len, 4096, [&](int64_t begin, int64_t end) {
      for (int64_t idx = begin; idx < end; ++idx) {
        const int64_t b = idx / out_len, p = idx % out_len + g.pad;
        out[idx] = p < padded_len ? yp[b * padded_len + p] * inv_n / env[p] : acc_t(0);
      }
    });
  });
  return y;
}

// Adjoint of istft: divide by the envelope, frame, window, forward FFT, and weight each one-sided bin
// by how often it appears in the full spectrum.
at::Tensor istft_backward_cpu(const at::Tensor& grad, const at::Tensor& window, int64_t n_fft, int64_t hop,
                              bool center, bool onesided, int64_t n_frames) {
  check_float_input(grad, "grad");
  check_dim(grad, 2, "grad");
  const FrameGeometry sg = synthesis_geometry(n_frames, n_fft, hop, center);
  check_window(window, grad, n_fft);
  const auto ct = compute_type(grad.scalar_type());
  const int64_t rows = grad.size(0), L = grad.size(1), padded_len = n_fft + hop * (n_frames - 1);
  const int64_t n_freq = n_freq_of(n_fft, onesided);
  const at::Tensor w = window.to(ct).contiguous();
  const at::Tensor gy = grad.to(ct).contiguous();
  at::Tensor gp = at::zeros({rows, padded_len}, gy.options());
  at::Tensor out = at::empty({rows, n_frames, n_freq}, gy.options().dtype(complex_type(ct)));
  // The padded gradient row is framed like a signal with no padding of its own.
  FrameGeometry g = sg;
  g.length = padded_len;
  g.pad = 0;
  const BlockPlan plan = plan_blocks(g, false);
  AT_DISPATCH_FLOATING_TYPES(ct, "sonix_istft_backward_cpu", [&] {
    using acc_t = scalar_t;
    using cplx = c10::complex<acc_t>;
    const acc_t* wp = w.const_data_ptr<acc_t>();
    const std::vector<acc_t> env = window_envelope(wp, sg, padded_len);
    const acc_t* gyp = gy.const_data_ptr<acc_t>();
    acc_t* gpp = gp.mutable_data_ptr<acc_t>();
    const acc_t inv_n = acc_t(1) / acc_t(n_fft);
    for (int64_t b = 0; b < rows; ++b)
      for (int64_t i = 0; i < L && i + sg.pad < padded_len; ++i)
        gpp[b * padded_len + i + sg.pad] = gyp[b * L + i] * inv_n / env[i + sg.pad];
    parallel_blocks(
        rows, plan, false, [&] { return at::empty({plan.size, n_fft}, w.options()); },
        [&](at::Tensor& frames, int64_t b, int64_t f0, int64_t nf) {
          frame_block(gpp + b * padded_len, wp, g, f0, nf, frames.mutable_data_ptr<acc_t>());
          at::Tensor dst = out.select(0, b).narrow(0, f0, nf);
          const at::Tensor src = frames.narrow(0, 0, nf);
          if (onesided) {
            rfft_block(src, dst);
            cplx* d = dst.mutable_data_ptr<cplx>();
            for (int64_t j = 0; j < nf; ++j)
              for (int64_t k = 0; k < n_freq; ++k)
                d[j * n_freq + k] *= acc_t(1.0 / onesided_adjoint_weight(k, n_fft));
          } else {
            fft_block(src, dst);
          }
        });
  });
  return out.transpose(1, 2);
}

TORCH_LIBRARY_IMPL(sonix, CPU, m) {
  m.impl("stft", &stft_cpu);
  m.impl("stft_backward", &stft_backward_cpu);
  m.impl("istft", &istft_cpu);
  m.impl("istft_backward", &istft_backward_cpu);
}

}  // namespace sonix
