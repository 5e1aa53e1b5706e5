// CUDA front ends of the fused spectrogram -> (mel) -> (log) op and its backward: per chunk of
// frames, frame + window (stft_cuda.cu), one-sided FFT through ATen, then the fused power / sparse
// mel / log kernels (mel_cuda.cu). The backward recomputes each chunk's spectrum instead of storing it.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <torch/library.h>

#include "spectral/cuda_glue.h"
#include "spectral/spectral_common.h"

namespace sonix {
namespace {

using namespace sonix::cuda;

// The filterbank transposed to (n_mels, n_freq) and its sparsity ranges, all built on the device.
template <typename acc_t>
struct DeviceMel {
  at::Tensor fbt, ranges;
  MelFilters<acc_t> view{nullptr, nullptr, nullptr, nullptr, nullptr, 0};
};

template <typename acc_t>
DeviceMel<acc_t> device_mel(const c10::optional<at::Tensor>& mel_fb, at::ScalarType ct, bool bin_ranges,
                            cudaStream_t stream) {
  DeviceMel<acc_t> d;
  if (!mel_fb.has_value()) return d;
  const at::Tensor fbt = mel_fb->to(ct).t().contiguous();
  const int64_t n_mels = fbt.size(0), n_freq = fbt.size(1);
  at::Tensor ranges = at::empty({2 * n_mels + (bin_ranges ? 2 * n_freq : 0)}, fbt.options().dtype(at::kLong));
  int64_t* band = ranges.mutable_data_ptr<int64_t>();
  int64_t* bin = bin_ranges ? band + 2 * n_mels : nullptr;
  int64_t* bin_hi = bin_ranges ? bin + n_freq : nullptr;
  const acc_t* f = fbt.const_data_ptr<acc_t>();
  SONIX_CUDA_CHECK(launch_mel_ranges<acc_t>(f, n_mels, n_freq, band, band + n_mels, bin, bin_hi, stream));
  d.fbt = fbt;
  d.ranges = ranges;
  d.view = MelFilters<acc_t>{f, band, band + n_mels, bin, bin_hi, n_mels};
  return d;
}

at::Tensor frames_of_chunk(const at::Tensor& x, const at::Tensor& w, const FrameGeometry& g, const Chunk& c,
                           cudaStream_t stream) {
  at::Tensor frames = at::empty({c.nr * c.nf, g.n_fft}, w.options());
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_frame_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    SONIX_CUDA_CHECK(launch_frame<cuda_t<scalar_t>, acc_t>(cuda_ptr<scalar_t>(x), w.const_data_ptr<acc_t>(), g, c,
                                                           frames.mutable_data_ptr<acc_t>(), stream));
  });
  return frames;
}

at::Tensor onesided_spectrum(const at::Tensor& frames) { return at::_fft_r2c(frames, {1}, 0, true).contiguous(); }

}  // namespace

at::Tensor mel_spectrogram_cuda(const at::Tensor& input, const at::Tensor& window,
                                const c10::optional<at::Tensor>& mel_fb, int64_t n_fft, int64_t hop, bool center,
                                c10::string_view pad_mode, double power, bool log, double log_scale,
                                double log_offset, double log_amin, double log_bias) {
  const MelArgs a =
      mel_args(input, window, mel_fb, n_fft, hop, center, pad_mode, power, log, log_scale, log_offset, log_amin, log_bias);
  const FrameGeometry& g = a.g;
  const LogParams& lp = a.lp;
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const auto ct = compute_type(input.scalar_type());
  const at::Tensor x = input.contiguous();
  const at::Tensor w = window.to(ct).contiguous();
  const int64_t rows = a.rows, n_freq = a.n_freq, n_out = a.n_out;
  at::Tensor out = at::empty({rows, n_out, g.n_frames}, x.options());
  const ChunkPlan plan = plan_chunks(rows, g.n_frames, n_fft);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_mel_spectrogram_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const DeviceMel<acc_t> mel = device_mel<acc_t>(mel_fb, ct, false, stream);
    plan.for_each([&](const Chunk& c) {
      const at::Tensor spec = onesided_spectrum(frames_of_chunk(x, w, g, c, stream));
      SONIX_CUDA_CHECK(launch_mel_forward<acc_t, cuda_t<scalar_t>>(complex_ptr<acc_t>(spec), n_freq, mel.view,
                                                                   g.n_frames, c, static_cast<acc_t>(power), lp,
                                                                   cuda_mutable_ptr<scalar_t>(out), stream));
    });
  });
  return out;
}

at::Tensor mel_spectrogram_backward_cuda(const at::Tensor& grad, const at::Tensor& input, const at::Tensor& window,
                                         const c10::optional<at::Tensor>& mel_fb, int64_t n_fft, int64_t hop,
                                         bool center, c10::string_view pad_mode, double power, bool log,
                                         double log_scale, double log_offset, double log_amin, double log_bias) {
  const MelArgs a =
      mel_args(input, window, mel_fb, n_fft, hop, center, pad_mode, power, log, log_scale, log_offset, log_amin, log_bias);
  const FrameGeometry& g = a.g;
  const LogParams& lp = a.lp;
  const int64_t rows = a.rows, n_freq = a.n_freq, n_out = a.n_out;
  check_mel_grad(grad, input, a);
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const auto ct = compute_type(input.scalar_type());
  const at::Tensor x = input.contiguous();
  const at::Tensor gy = grad.to(ct).contiguous();
  const at::Tensor w = window.to(ct).contiguous();
  const int64_t padded_len = g.length + 2 * g.pad;
  const ChunkPlan plan = plan_chunks(rows, g.n_frames, std::max(n_fft, n_out));
  at::Tensor gp = plan.whole_rows() ? at::empty({rows, padded_len}, w.options())
                                    : at::zeros({rows, padded_len}, w.options());
  at::Tensor grad_x = at::empty({rows, g.length}, w.options());
  AT_DISPATCH_FLOATING_TYPES(ct, "sonix_mel_spectrogram_backward_cuda", [&] {
    using acc_t = scalar_t;
    const DeviceMel<acc_t> mel = device_mel<acc_t>(mel_fb, ct, true, stream);
    plan.for_each([&](const Chunk& c) {
      at::Tensor spec = onesided_spectrum(frames_of_chunk(x, w, g, c, stream));
      at::Tensor band_grad = mel_fb.has_value() ? at::empty({c.nr * c.nf, n_out}, w.options()) : at::Tensor();
      SONIX_CUDA_CHECK(launch_mel_backward_spectrum<acc_t>(
          complex_mutable_ptr<acc_t>(spec), gy.const_data_ptr<acc_t>(), n_fft, mel.view, g.n_frames, c,
          static_cast<acc_t>(power), lp, band_grad.defined() ? band_grad.mutable_data_ptr<acc_t>() : nullptr, stream));
      const at::Tensor frames = at::_fft_c2r(spec, {1}, 0, n_fft).contiguous();
      SONIX_CUDA_CHECK(launch_overlap_add<acc_t>(frames.const_data_ptr<acc_t>(), 1, w.const_data_ptr<acc_t>(), g, c,
                                                 !plan.whole_rows(), gp.mutable_data_ptr<acc_t>(), padded_len, stream));
    });
    SONIX_CUDA_CHECK(launch_fold<acc_t>(gp.const_data_ptr<acc_t>(), rows, padded_len, g,
                                        grad_x.mutable_data_ptr<acc_t>(), stream));
  });
  return grad_x;
}

TORCH_LIBRARY_IMPL(sonix, CUDA, m) {
  m.impl("mel_spectrogram", &mel_spectrogram_cuda);
  m.impl("mel_spectrogram_backward", &mel_spectrogram_backward_cuda);
}

}  // namespace sonix
