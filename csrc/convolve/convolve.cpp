// Full convolution by grouped conv1d (short kernels) or FFT overlap-add in blocks (long kernels and
// signals), and its adjoint (correlations with the gradient). ATen ops only: the same code runs on
// CPU and CUDA (cuFFT plans via ATen's cache), registered for both in convolve_cpu.cpp /
// convolve_cuda.cpp.
#include <ATen/ATen.h>
#include <torch/library.h>

#include <algorithm>

#include "convolve/convolve_common.h"
#include "core/checks.h"

namespace sonix {

namespace {

constexpr int64_t kDirectMaxTaps = 48;        // direct (conv1d) up to this many taps in auto mode
constexpr int64_t kSingleMax = int64_t{1} << 20;  // one FFT per row up to this many points

int64_t next_pow2(int64_t v) {
  int64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

// Smallest 2^a 3^b 5^c >= v (sizes pocketfft and cuFFT transform fast).
int64_t next_fast_len(int64_t v) {
  int64_t best = next_pow2(v);
  for (int64_t p5 = 1; p5 < best; p5 *= 5)
    for (int64_t p35 = p5; p35 < best; p35 *= 3) {
      int64_t q = p35;
      while (q < v) q <<= 1;
      best = std::min(best, q);
    }
  return best;
}

at::Tensor direct_convolve(const at::Tensor& x, const at::Tensor& h) {
  const int64_t rows = x.size(0), m = h.size(1);
  at::Tensor w = h.flip({1}).expand({rows, m}).reshape({rows, 1, m});
  at::Tensor xp = at::constant_pad_nd(x, {m - 1, m - 1}, 0).unsqueeze(0);
  return at::conv1d(xp, w, std::optional<at::Tensor>(), at::IntArrayRef{1}, at::IntArrayRef{0}, at::IntArrayRef{1}, rows)
      .squeeze(0);
}

// Overlap-add: x cut into blocks of B = nfft / 2 samples; each block's (B + m - 1 <= nfft)-long
// convolution is split into its two halves, which add onto output blocks s and s + 1.
at::Tensor fft_convolve(const at::Tensor& x, const at::Tensor& h) {
  const int64_t rows = x.size(0), n = x.size(1), m = h.size(1), full = n + m - 1;
  const int64_t single = next_fast_len(full);
  const int64_t nfft = std::max<int64_t>(next_pow2(4 * (m - 1)), 1024);
  // One transform of the whole row while it stays moderate (fewer points than overlap-add's blocks);
  // overlap-add bounds the memory of very long rows.
  if (single <= std::max<int64_t>(nfft, kSingleMax)) {
    at::Tensor y = at::fft_irfft(at::fft_rfft(x, single, -1) * at::fft_rfft(h, single, -1), single, -1);
    return y.narrow(1, 0, full);
  }
  const int64_t B = nfft / 2, nseg = (n + B - 1) / B;
  const at::Tensor H = at::fft_rfft(h, nfft, -1).unsqueeze(1);
  const at::Tensor segs = at::constant_pad_nd(x, {0, nseg * B - n}, 0).view({rows, nseg, B});
  const at::Tensor ys = at::fft_irfft(at::fft_rfft(segs, nfft, -1) * H, nfft, -1);  // (rows, nseg, 2B)
  at::Tensor y = at::constant_pad_nd(ys.narrow(2, 0, B), {0, 0, 0, 1}, 0);
  y.narrow(1, 1, nseg).add_(ys.narrow(2, B, B));
  return y.view({rows, (nseg + 1) * B}).narrow(1, 0, full);
}

}  // namespace

void check_convolve_args(const at::Tensor& x, const at::Tensor& h, int64_t method) {
  check_float_input(x, "input");
  check_float_input(h, "kernel");
  check_dim(x, 2, "input");
  check_dim(h, 2, "kernel");
  check_same_device(x, "input", h, "kernel");
  SONIX_CHECK(h.size(0) == x.size(0) || h.size(0) == 1, "kernel must have 1 or input.size(0)=", x.size(0),
              " rows, got shape ", h.sizes());
  SONIX_CHECK(x.size(1) >= 1 && h.size(1) >= 1, "input and kernel must be non-empty, got shapes ", x.sizes(),
              " and ", h.sizes());
  SONIX_CHECK(method == kConvAuto || method == kConvDirect || method == kConvFFT,
              "method must be 0 (auto), 1 (direct) or 2 (fft), got ", method);
}

at::Tensor full_convolve(const at::Tensor& x, const at::Tensor& h, int64_t method) {
  const bool direct = method == kConvDirect || (method == kConvAuto && h.size(1) <= kDirectMaxTaps);
  return direct ? direct_convolve(x, h) : fft_convolve(x, h);
}

at::Tensor fftconvolve_impl(const at::Tensor& input, const at::Tensor& kernel, int64_t method) {
  check_convolve_args(input, kernel, method);
  const at::ScalarType acc = compute_type(at::promote_types(input.scalar_type(), kernel.scalar_type()));
  at::Tensor y = full_convolve(input.to(acc).contiguous(), kernel.to(acc).contiguous(), method);
  return y.to(at::promote_types(input.scalar_type(), kernel.scalar_type())).contiguous();
}

// y = x * h (full): gx[i] = sum_t g[t] h[t - i] and gh[k] = sum_t g[t] x[t - k] (summed over rows when
// one kernel serves every row), i.e. full convolutions with the reversed operand, cut to length.
std::tuple<at::Tensor, at::Tensor> fftconvolve_backward_impl(const at::Tensor& grad, const at::Tensor& input,
                                                             const at::Tensor& kernel, int64_t method) {
  check_convolve_args(input, kernel, method);
  const int64_t n = input.size(1), m = kernel.size(1);
  SONIX_CHECK(grad.dim() == 2 && grad.size(0) == input.size(0) && grad.size(1) == n + m - 1,
              "grad must have shape (", input.size(0), ", ", n + m - 1, "), got ", grad.sizes());
  const at::ScalarType acc = compute_type(at::promote_types(input.scalar_type(), kernel.scalar_type()));
  const at::Tensor g = grad.to(acc).contiguous();
  const at::Tensor x = input.to(acc).contiguous(), h = kernel.to(acc).contiguous();
  at::Tensor gx = full_convolve(g, h.flip({1}).contiguous(), method).narrow(1, m - 1, n);
  at::Tensor gh = full_convolve(g, x.flip({1}).contiguous(), method).narrow(1, n - 1, m);
  if (kernel.size(0) == 1 && input.size(0) != 1) gh = gh.sum(0, true);
  return {gx.to(input.scalar_type()).contiguous(), gh.to(kernel.scalar_type()).contiguous()};
}

}  // namespace sonix
