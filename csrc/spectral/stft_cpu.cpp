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

template <typename acc_t>
void check_nola(const std::vector<acc_t>& env, int64_t begin, int64_t end) {
  for (int64_t p = begin; p < end; ++p) {
    SONIX_CHECK(std::abs(env[p]) > acc_t(1e-11),
                "window overlap-add is zero at sample ", p - begin,
                ": the window and hop_length do not satisfy the NOLA condition, the signal cannot be inverted");
  }
}

// Inverse-transforms frames [f0, f0 + nf) of one row of a (rows, n_freq, n_frames) spectrum (strides
// st), unnormalised and with every bin times weight(k), windows them and overlap-adds them into `row`
// (padded coordinates). Shared by istft and by the adjoint of stft.
template <typename acc_t, typename Weight>
void overlap_add_spectrum(const c10::complex<acc_t>* spec, const int64_t* st, int64_t b, int64_t n_freq, bool onesided,
                          const Weight& weight, const acc_t* w, const FrameGeometry& g, int64_t f0, int64_t nf,
                          at::Tensor& spec_buf, at::Tensor& frames_buf, at::Tensor& cframes_buf, acc_t* row) {
  using cplx = c10::complex<acc_t>;
  cplx* sp = spec_buf.mutable_data_ptr<cplx>();
  for (int64_t j = 0; j < nf; ++j)
    for (int64_t k = 0; k < n_freq; ++k) sp[j * n_freq + k] = spec[b * st[0] + k * st[1] + (f0 + j) * st[2]] * weight(k);
  at::Tensor frames = frames_buf.narrow(0, 0, nf);
  if (onesided) {
    irfft_block(spec_buf.narrow(0, 0, nf), g.n_fft, frames);
  } else {
    at::Tensor cf = cframes_buf.narrow(0, 0, nf);
    ifft_block(spec_buf.narrow(0, 0, nf), cf);
    frames.copy_(at::real(cf));
  }
  overlap_add_block(frames.const_data_ptr<acc_t>(), w, g, f0, nf, row);
}

struct SynthesisScratch {
  at::Tensor spec, frames, cframes;
};

inline SynthesisScratch synthesis_scratch(const BlockPlan& plan, int64_t n_freq, int64_t n_fft, bool onesided,
                                          const at::TensorOptions& complex_opts, const at::TensorOptions& real_opts) {
  return SynthesisScratch{at::empty({plan.size, n_freq}, complex_opts), at::empty({plan.size, n_fft}, real_opts),
                          onesided ? at::Tensor() : at::empty({plan.size, n_fft}, complex_opts)};
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
  const FrameGeometry g = adjoint_geometry(grad, window, length, n_fft, hop, center, pad_mode, onesided);
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
    const int64_t st[3] = {G.stride(0), G.stride(1), G.stride(2)};
    const acc_t* wp = w.const_data_ptr<acc_t>();
    acc_t* gpp = gp.mutable_data_ptr<acc_t>();
    const auto weight = [&](int64_t k) { return acc_t(onesided ? onesided_adjoint_weight(k, n_fft) : 1.0); };
    parallel_blocks(
        rows, plan, true, [&] { return synthesis_scratch(plan, n_freq, n_fft, onesided, G.options(), w.options()); },
        [&](SynthesisScratch& s, int64_t b, int64_t f0, int64_t nf) {
          overlap_add_spectrum(gptr, st, b, n_freq, onesided, weight, wp, g, f0, nf, s.spec, s.frames, s.cframes,
                               gpp + b * padded_len);
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
    const int64_t st[3] = {S.stride(0), S.stride(1), S.stride(2)};
    acc_t* yp = ypad.mutable_data_ptr<acc_t>();
    const auto unit = [](int64_t) { return acc_t(1); };
    parallel_blocks(
        rows, plan, true, [&] { return synthesis_scratch(plan, n_freq, n_fft, onesided, S.options(), w.options()); },
        [&](SynthesisScratch& s, int64_t b, int64_t f0, int64_t nf) {
          overlap_add_spectrum(sptr, st, b, n_freq, onesided, unit, wp, g, f0, nf, s.spec, s.frames, s.cframes,
                               yp + b * padded_len);
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
