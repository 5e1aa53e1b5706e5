// CUDA front ends of the fused STFT loss: per chunk of frames, frame + window both signals
// (stft_cuda.cu), one one-sided FFT through ATen (cuFFT, torch's plan cache) for the pair, then the
// fused magnitude / per-frame sum kernel; the per-frame sums are added per row in a fixed order. The
// backward recomputes each chunk's spectra, turns them into gradient spectra in place, inverts them
// and overlap-adds (no atomics, deterministic).
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <torch/library.h>

#include "losses/losses_common.h"
#include "losses/losses_cuda.h"
#include "losses/stft_loss_math.h"
#include "spectral/cuda_glue.h"

namespace sonix {
namespace {

using namespace sonix::cuda;

// (2 * nr * nf, n_freq) one-sided spectra of a chunk: x's frames first, then y's.
at::Tensor pair_spectrum(const at::Tensor& x, const at::Tensor& y, const at::Tensor& w, const FrameGeometry& g,
                         const Chunk& c, cudaStream_t stream) {
  const int64_t n = c.nr * c.nf;
  at::Tensor frames = at::empty({2 * n, g.n_fft}, w.options());
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_stft_loss_frame_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    acc_t* f = frames.mutable_data_ptr<acc_t>();
    SONIX_CUDA_CHECK(launch_frame<cuda_t<scalar_t>, acc_t>(cuda_ptr<scalar_t>(x), w.const_data_ptr<acc_t>(), g, c, f,
                                                           stream));
    SONIX_CUDA_CHECK(launch_frame<cuda_t<scalar_t>, acc_t>(cuda_ptr<scalar_t>(y), w.const_data_ptr<acc_t>(), g, c,
                                                           f + n * g.n_fft, stream));
  });
  return at::_fft_r2c(frames, {1}, 0, true).contiguous();
}

}  // namespace

at::Tensor stft_loss_sums_cuda(const at::Tensor& input, const at::Tensor& target, const at::Tensor& window,
                               int64_t n_fft, int64_t hop, bool center, c10::string_view pad_mode, double eps,
                               int64_t distance) {
  const StftLossArgs a = stft_loss_args(input, target, window, n_fft, hop, center, pad_mode, eps, distance);
  const FrameGeometry& g = a.g;
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const auto ct = compute_type(input.scalar_type());
  const at::Tensor x = input.contiguous(), y = target.contiguous();
  const at::Tensor w = window.to(ct).contiguous();
  const int64_t rows = a.rows, n_freq = a.n_freq;
  at::Tensor partial = at::empty({rows, g.n_frames, kStftLossTerms}, w.options().dtype(at::kDouble));
  at::Tensor out = at::empty({rows, kStftLossTerms}, w.options());
  const ChunkPlan plan = plan_chunks(rows, g.n_frames, 2 * n_fft);
  AT_DISPATCH_FLOATING_TYPES(ct, "sonix_stft_loss_sums_cuda", [&] {
    using acc_t = scalar_t;
    plan.for_each([&](const Chunk& c) {
      const at::Tensor spec = pair_spectrum(x, y, w, g, c, stream);
      const acc_t* sx = complex_ptr<acc_t>(spec);
      SONIX_CUDA_CHECK(launch_stft_loss_partials<acc_t>(sx, sx + 2 * c.nr * c.nf * n_freq, n_freq, g.n_frames, c,
                                                        static_cast<acc_t>(eps), a.l2,
                                                        partial.mutable_data_ptr<double>(), stream));
    });
    SONIX_CUDA_CHECK(launch_stft_loss_reduce<acc_t>(partial.const_data_ptr<double>(), rows, g.n_frames,
                                                    out.mutable_data_ptr<acc_t>(), stream));
  });
  return out;
}

std::tuple<at::Tensor, at::Tensor> stft_loss_sums_backward_cuda(const at::Tensor& grad, const at::Tensor& input,
                                                                const at::Tensor& target, const at::Tensor& window,
                                                                int64_t n_fft, int64_t hop, bool center,
                                                                c10::string_view pad_mode, double eps,
                                                                int64_t distance, bool input_grad, bool target_grad) {
  const StftLossArgs a = stft_loss_args(input, target, window, n_fft, hop, center, pad_mode, eps, distance);
  check_stft_loss_grad(grad, input, a);
  const FrameGeometry& g = a.g;
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const auto ct = compute_type(input.scalar_type());
  const at::Tensor x = input.contiguous(), y = target.contiguous();
  const at::Tensor w = window.to(ct).contiguous();
  const at::Tensor gs = grad.to(ct).contiguous();
  const int64_t rows = a.rows, n_freq = a.n_freq, padded_len = g.length + 2 * g.pad;
  const auto opts = w.options();
  at::Tensor grad_x = input_grad ? at::empty({rows, g.length}, opts) : at::empty({0}, opts);
  at::Tensor grad_y = target_grad ? at::empty({rows, g.length}, opts) : at::empty({0}, opts);
  if (!input_grad && !target_grad) return {grad_x, grad_y};
  const ChunkPlan plan = plan_chunks(rows, g.n_frames, 2 * n_fft);
  const auto make_padded = [&](bool need) {
    if (!need) return at::Tensor();
    return plan.whole_rows() ? at::empty({rows, padded_len}, opts) : at::zeros({rows, padded_len}, opts);
  };
  at::Tensor gpx = make_padded(input_grad), gpy = make_padded(target_grad);
  AT_DISPATCH_FLOATING_TYPES(ct, "sonix_stft_loss_sums_backward_cuda", [&] {
    using acc_t = scalar_t;
    const acc_t* wp = w.const_data_ptr<acc_t>();
    plan.for_each([&](const Chunk& c) {
      const int64_t n = c.nr * c.nf;
      at::Tensor spec = pair_spectrum(x, y, w, g, c, stream);
      acc_t* sx = complex_mutable_ptr<acc_t>(spec);
      SONIX_CUDA_CHECK(launch_stft_loss_grad_spectrum<acc_t>(sx, sx + 2 * n * n_freq, n_freq, n_fft, c,
                                                             gs.const_data_ptr<acc_t>(), static_cast<acc_t>(eps),
                                                             a.l2, stream));
      const int64_t first = input_grad ? 0 : n, count = (input_grad ? n : 0) + (target_grad ? n : 0);
      const at::Tensor frames = at::_fft_c2r(spec.narrow(0, first, count), {1}, 0, n_fft).contiguous();
      const acc_t* fp = frames.const_data_ptr<acc_t>();
      if (input_grad)
        SONIX_CUDA_CHECK(launch_overlap_add<acc_t>(fp, 1, wp, g, c, !plan.whole_rows(),
                                                   gpx.mutable_data_ptr<acc_t>(), padded_len, stream));
      if (target_grad)
        SONIX_CUDA_CHECK(launch_overlap_add<acc_t>(fp + (input_grad ? n * n_fft : 0), 1, wp, g, c,
                                                   !plan.whole_rows(), gpy.mutable_data_ptr<acc_t>(), padded_len,
                                                   stream));
    });
    if (input_grad)
      SONIX_CUDA_CHECK(launch_fold<acc_t>(gpx.const_data_ptr<acc_t>(), rows, padded_len, g,
                                          grad_x.mutable_data_ptr<acc_t>(), stream));
    if (target_grad)
      SONIX_CUDA_CHECK(launch_fold<acc_t>(gpy.const_data_ptr<acc_t>(), rows, padded_len, g,
                                          grad_y.mutable_data_ptr<acc_t>(), stream));
  });
  return {grad_x, grad_y};
}

TORCH_LIBRARY_IMPL(sonix, CUDA, m) {
  m.impl("stft_loss_sums", &stft_loss_sums_cuda);
  m.impl("stft_loss_sums_backward", &stft_loss_sums_backward_cuda);
}

}  // namespace sonix
