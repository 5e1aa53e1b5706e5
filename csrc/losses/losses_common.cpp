#include "losses/losses_common.h"

#include <cmath>

#include "losses/stft_loss_math.h"

namespace sonix {

StftLossArgs stft_loss_args(const at::Tensor& input, const at::Tensor& target, const at::Tensor& window, int64_t n_fft,
                            int64_t hop, bool center, c10::string_view pad_mode, double eps, int64_t distance) {
  check_float_input(target, "target");
  check_dim(target, 2, "target (after flattening leading dims)");
  SONIX_CHECK(input.sizes() == target.sizes(), "input and target must have the same shape, got ", input.sizes(),
              " and ", target.sizes());
  SONIX_CHECK(input.scalar_type() == target.scalar_type(), "input and target must have the same dtype, got ",
              input.scalar_type(), " and ", target.scalar_type());
  check_same_device(target, "target", input, "input");
  SONIX_CHECK(std::isfinite(eps) && eps > 0.0, "eps must be a positive finite number, got ", eps);
  SONIX_CHECK(distance == 1 || distance == 2, "distance must be 1 (L1) or 2 (L2), got ", distance);
  StftLossArgs a;
  a.g = analysis_geometry(input, window, n_fft, hop, center, pad_mode);
  a.rows = input.size(0);
  a.n_freq = n_fft / 2 + 1;
  a.l2 = distance == 2;
  return a;
}

void check_stft_loss_grad(const at::Tensor& grad, const at::Tensor& input, const StftLossArgs& a) {
  check_dim(grad, 2, "grad");
  SONIX_CHECK(grad.size(0) == a.rows && grad.size(1) == kStftLossTerms, "grad must have shape (", a.rows, ", ",
              kStftLossTerms, "), got ", grad.sizes());
  check_same_device(grad, "grad", input, "input");
  SONIX_CHECK(grad.is_floating_point(), "grad must be floating point, got ", grad.scalar_type());
}

}  // namespace sonix
