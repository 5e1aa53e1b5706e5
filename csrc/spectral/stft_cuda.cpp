// CUDA front ends of stft / istft and their adjoints: the CPU's argument checks (spectral_common),
// framing / overlap-add kernels (stft_cuda.cu) and FFTs through ATen (torch's cuFFT plan cache),
// chunked over rows x frames.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <torch/library.h>

#include <utility>

#include "spectral/cuda_glue.h"
#include "spectral/spectral_common.h"

namespace sonix {
namespace {

using namespace sonix::cuda;

at::Tensor forward_fft(const at::Tensor& frames, bool onesided) {
  return at::_fft_r2c(frames, {1}, 0, onesided).contiguous();
}

// Unnormalised inverse FFT of (frames, n_freq) spectra to real frames, and the distance between
// their samples (2: the real parts of a two-sided inverse's complex output, read in place).
std::pair<at::Tensor, int64_t> inverse_fft(const at::Tensor& spec, int64_t n_fft, bool onesided) {
  if (onesided) return {at::_fft_c2r(spec, {1}, 0, n_fft).contiguous(), 1};
  return {at::view_as_real(at::_fft_c2c(spec, {1}, 0, false).contiguous()), 2};
}

// Inverse-transforms every frame of a (rows, n_freq, n_frames) spectrum, windows the frames and
// overlap-adds them into padded rows (rows, padded_len): the part shared by istft and stft_backward.
template <typename acc_t>
at::Tensor overlap_add_spectrum(const at::Tensor& S, const at::Tensor& w, const FrameGeometry& g, bool onesided,
                                bool adjoint_weight, int64_t padded_len, cudaStream_t stream) {
  const int64_t rows = S.size(0), n_freq = S.size(1);
  const ChunkPlan plan = plan_chunks(rows, g.n_frames, std::max(n_freq, g.n_fft));
  at::Tensor padded = plan.whole_rows() ? at::empty({rows, padded_len}, w.options())
                                        : at::zeros({rows, padded_len}, w.options());
  plan.for_each([&](const Chunk& c) {
    at::Tensor spec = at::empty({c.nr * c.nf, n_freq}, S.options());
    SONIX_CUDA_CHECK(launch_gather_spectrum<acc_t>(complex_ptr<acc_t>(S), S.stride(0), S.stride(1), S.stride(2), n_freq,
                                                   g.n_fft, c, adjoint_weight, onesided,
                                                   complex_mutable_ptr<acc_t>(spec), stream));
    const auto [frames, elem_stride] = inverse_fft(spec, g.n_fft, onesided);
    SONIX_CUDA_CHECK(launch_overlap_add<acc_t>(frames.const_data_ptr<acc_t>(), elem_stride,
                                               w.const_data_ptr<acc_t>(), g, c, !plan.whole_rows(),
                                               padded.mutable_data_ptr<acc_t>(), padded_len, stream));
  });
  return padded;
}

}  // namespace

at::Tensor stft_cuda(const at::Tensor& input, const at::Tensor& window, int64_t n_fft, int64_t hop, bool center,
                     c10::string_view pad_mode, bool onesided) {
  const FrameGeometry g = analysis_geometry(input, window, n_fft, hop, center, pad_mode);
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const auto ct = compute_type(input.scalar_type());
  const at::Tensor x = input.contiguous();
  const at::Tensor w = window.to(ct).contiguous();
  const int64_t rows = x.size(0), n_freq = n_freq_of(n_fft, onesided);
  const ChunkPlan plan = plan_chunks(rows, g.n_frames, std::max(n_freq, n_fft));
  // One chunk: the FFT's output is the result. Several: each chunk's spectrum is copied into place.
  at::Tensor out;
  if (!plan.single()) out = at::empty({rows, g.n_frames, n_freq}, x.options().dtype(complex_type(ct)));
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_stft_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    plan.for_each([&](const Chunk& c) {
      at::Tensor frames = at::empty({c.nr * c.nf, n_fft}, w.options());
      SONIX_CUDA_CHECK(launch_frame<cuda_t<scalar_t>, acc_t>(cuda_ptr<scalar_t>(x), w.const_data_ptr<acc_t>(), g, c,
                                                             frames.mutable_data_ptr<acc_t>(), stream));
      at::Tensor spec = forward_fft(frames, onesided);
      if (plan.single()) out = spec.view({rows, g.n_frames, n_freq});
      else chunk_rows(out, c).copy_(spec);
    });
  });
  return out.transpose(1, 2);
}

// Adjoint of stft: inverse FFT (each one-sided bin standing for itself and its conjugate), window,
// overlap-add, fold back through the padding.
at::Tensor stft_backward_cuda(const at::Tensor& grad, const at::Tensor& window, int64_t n_fft, int64_t hop,
                              bool center, c10::string_view pad_mode, bool onesided, int64_t length) {
  const auto ct = real_of_complex(grad, "grad");
  const FrameGeometry g = adjoint_geometry(grad, window, length, n_fft, hop, center, pad_mode, onesided);
  c10::cuda::CUDAGuard guard(grad.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const int64_t rows = grad.size(0), padded_len = length + 2 * g.pad;
  const at::Tensor w = window.to(ct).contiguous();
  const at::Tensor G = grad.to(complex_type(ct));
  at::Tensor grad_x = at::empty({rows, length}, w.options());
  AT_DISPATCH_FLOATING_TYPES(ct, "sonix_stft_backward_cuda", [&] {
    const at::Tensor gp = overlap_add_spectrum<scalar_t>(G, w, g, onesided, onesided, padded_len, stream);
    SONIX_CUDA_CHECK(launch_fold<scalar_t>(gp.const_data_ptr<scalar_t>(), rows, padded_len, g,
                                           grad_x.mutable_data_ptr<scalar_t>(), stream));
  });
  return grad_x;
}

at::Tensor istft_cuda(const at::Tensor& spec, const at::Tensor& window, int64_t n_fft, int64_t hop, bool center,
                      bool onesided, int64_t length) {
  const auto ct = real_of_complex(spec, "input");
  const int64_t n_frames = check_spec(spec, window, n_fft, onesided, "input");
  const FrameGeometry g = synthesis_geometry(n_frames, n_fft, hop, center);
  const int64_t out_len = istft_length(g, length);
  c10::cuda::CUDAGuard guard(spec.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const int64_t rows = spec.size(0), padded_len = n_fft + hop * (n_frames - 1);
  const at::Tensor w = window.to(ct).contiguous();
  const at::Tensor S = spec.to(complex_type(ct));
  at::Tensor y = at::empty({rows, out_len}, w.options());
  AT_DISPATCH_FLOATING_TYPES(ct, "sonix_istft_cuda", [&] {
    at::Tensor env = at::empty({padded_len}, w.options());
    SONIX_CUDA_CHECK(launch_window_envelope<scalar_t>(w.const_data_ptr<scalar_t>(), g, padded_len,
                                                      env.mutable_data_ptr<scalar_t>(), stream));
    // No NOLA check, unlike the CPU: reading the envelope on the host would synchronise the stream.
    const at::Tensor ypad = overlap_add_spectrum<scalar_t>(S, w, g, onesided, false, padded_len, stream);
    SONIX_CUDA_CHECK(launch_istft_normalize<scalar_t>(ypad.const_data_ptr<scalar_t>(), env.const_data_ptr<scalar_t>(),
                                                      rows, padded_len, out_len, g.pad, n_fft,
                                                      y.mutable_data_ptr<scalar_t>(), stream));
  });
  return y;
}

// Adjoint of istft: divide by the envelope, frame, window, forward FFT, and weight each one-sided bin
// by how often it appears in the full spectrum.
at::Tensor istft_backward_cuda(const at::Tensor& grad, const at::Tensor& window, int64_t n_fft, int64_t hop,
                               bool center, bool onesided, int64_t n_frames) {
  check_float_input(grad, "grad");
  check_dim(grad, 2, "grad");
  const FrameGeometry sg = synthesis_geometry(n_frames, n_fft, hop, center);
  check_window(window, grad, n_fft);
  c10::cuda::CUDAGuard guard(grad.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const auto ct = compute_type(grad.scalar_type());
  const int64_t rows = grad.size(0), len = grad.size(1), padded_len = n_fft + hop * (n_frames - 1);
  const int64_t n_freq = n_freq_of(n_fft, onesided);
  const at::Tensor w = window.to(ct).contiguous();
  const at::Tensor gy = grad.to(ct).contiguous();
  // The padded gradient row is framed like a signal with no padding of its own.
  FrameGeometry g = sg;
  g.length = padded_len;
  g.pad = 0;
  const ChunkPlan plan = plan_chunks(rows, n_frames, std::max(n_freq, n_fft));
  at::Tensor out;
  if (!plan.single()) out = at::empty({rows, n_frames, n_freq}, gy.options().dtype(complex_type(ct)));
  AT_DISPATCH_FLOATING_TYPES(ct, "sonix_istft_backward_cuda", [&] {
    using acc_t = scalar_t;
    at::Tensor env = at::empty({padded_len}, w.options());
    SONIX_CUDA_CHECK(launch_window_envelope<acc_t>(w.const_data_ptr<acc_t>(), sg, padded_len,
                                                   env.mutable_data_ptr<acc_t>(), stream));
    at::Tensor gp = at::empty({rows, padded_len}, w.options());
    SONIX_CUDA_CHECK(launch_istft_adjoint_normalize<acc_t>(gy.const_data_ptr<acc_t>(),
                                                           env.const_data_ptr<acc_t>(), rows, len, padded_len,
                                                           sg.pad, n_fft, gp.mutable_data_ptr<acc_t>(), stream));
    plan.for_each([&](const Chunk& c) {
      at::Tensor frames = at::empty({c.nr * c.nf, n_fft}, w.options());
      SONIX_CUDA_CHECK(launch_frame<acc_t, acc_t>(gp.const_data_ptr<acc_t>(), w.const_data_ptr<acc_t>(), g, c,
                                                  frames.mutable_data_ptr<acc_t>(), stream));
      at::Tensor spec = forward_fft(frames, onesided);
      if (onesided)
        SONIX_CUDA_CHECK(launch_unweight_onesided<acc_t>(complex_mutable_ptr<acc_t>(spec), c.nr * c.nf, n_freq, n_fft,
                                                         stream));
      if (plan.single()) out = spec.view({rows, n_frames, n_freq});
      else chunk_rows(out, c).copy_(spec);
    });
  });
  return out.transpose(1, 2);
}

TORCH_LIBRARY_IMPL(sonix, CUDA, m) {
  m.impl("stft", &stft_cuda);
  m.impl("stft_backward", &stft_backward_cuda);
  m.impl("istft", &istft_cuda);
  m.impl("istft_backward", &istft_backward_cuda);
}

}  // namespace sonix
