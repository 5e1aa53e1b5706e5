// Argument checks of PCEN (CPU and CUDA).
#include "layers/pcen_common.h"

#include "core/checks.h"

namespace sonix {

void check_pcen_args(const at::Tensor& input, const at::Tensor& s, const at::Tensor& alpha, const at::Tensor& delta,
                     const at::Tensor& r, const std::optional<at::Tensor>& initial_state) {
  check_float_input(input, "input");
  check_dim(input, 3, "input (batch, channels, frames)");
  SONIX_CHECK(input.size(2) >= 1, "input must have at least one frame, got shape ", input.sizes());
  const int64_t channels = input.size(1);
  const std::pair<const at::Tensor*, const char*> params[] = {{&s, "s"}, {&alpha, "alpha"}, {&delta, "delta"}, {&r, "r"}};
  for (const auto& [p, name] : params) {
    check_float_input(*p, name);
    SONIX_CHECK(p->dim() == 1 && p->size(0) == channels, name, " must have shape (channels,) = (", channels,
                ",), got ", p->sizes());
    check_same_device(*p, name, input, "input");
  }
  if (initial_state.has_value()) {
    const at::Tensor& m0 = *initial_state;
    check_float_input(m0, "initial_state");
    SONIX_CHECK(m0.dim() == 2 && m0.size(0) == input.size(0) && m0.size(1) == channels,
                "initial_state must have shape (batch, channels) = (", input.size(0), ", ", channels, "), got ",
                m0.sizes());
    check_same_device(m0, "initial_state", input, "input");
  }
}

at::Tensor pcen_initial_state(const at::Tensor& input, const std::optional<at::Tensor>& initial_state,
                              at::ScalarType acc) {
  if (initial_state.has_value()) return initial_state->to(acc).contiguous();
  return at::ones({input.size(0), input.size(1)}, input.options().dtype(acc));
}

}  // namespace sonix
