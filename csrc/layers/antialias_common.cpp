// Argument checks and the parameter-gradient epilogue of the anti-aliased activation (CPU and CUDA).
#include "layers/antialias_common.h"

#include "core/checks.h"
#include "layers/snake_math.h"

namespace sonix {

namespace {
void check_channel_param(const at::Tensor& p, const char* name, const at::Tensor& input) {
  check_float_input(p, name);
  SONIX_CHECK(p.dim() == 1 && p.size(0) == input.size(1), name, " must have shape (channels,) = (", input.size(1),
              ",), got ", p.sizes());
  check_same_device(p, name, input, "input");
}

void check_filter(const at::Tensor& f, const char* name, const at::Tensor& input) {
  check_float_input(f, name);
  SONIX_CHECK(f.dim() == 1 && f.size(0) >= 1, name, " must be a non-empty 1-D filter, got shape ", f.sizes());
  check_same_device(f, name, input, "input");
}
}  // namespace

AntiAliasGeom check_antialias_args(const at::Tensor& input, const at::Tensor& alpha,
                                   const std::optional<at::Tensor>& beta, const at::Tensor& up_filter,
                                   const at::Tensor& down_filter, int64_t up_ratio, int64_t down_ratio) {
  check_float_input(input, "input");
  check_dim(input, 3, "input (batch, channels, time)");
  SONIX_CHECK(input.size(2) >= 1, "input must have at least one time step, got shape ", input.sizes());
  check_channel_param(alpha, "alpha", input);
  if (beta.has_value()) check_channel_param(*beta, "beta", input);
  check_filter(up_filter, "up_filter", input);
  check_filter(down_filter, "down_filter", input);
  SONIX_CHECK(up_ratio >= 1 && up_ratio <= 64, "up_ratio must be in [1, 64], got ", up_ratio);
  SONIX_CHECK(down_ratio >= 1 && down_ratio <= 64, "down_ratio must be in [1, 64], got ", down_ratio);
  SONIX_CHECK(up_filter.size(0) >= up_ratio && up_filter.size(0) <= 1024,
              "up_filter must have between up_ratio=", up_ratio, " and 1024 taps, got ", up_filter.size(0));
  SONIX_CHECK(down_filter.size(0) <= 1024, "down_filter must have at most 1024 taps, got ", down_filter.size(0));
  return make_antialias_geom(input.size(2), static_cast<int>(up_ratio), static_cast<int>(down_ratio),
                             static_cast<int>(up_filter.size(0)), static_cast<int>(down_filter.size(0)));
}

int64_t antialias_tiles(int64_t n, int64_t tile) { return (n + tile - 1) / tile; }

std::tuple<at::Tensor, at::Tensor> antialias_param_grads(const at::Tensor& partials, int64_t batch,
                                                         const at::Tensor& alpha,
                                                         const std::optional<at::Tensor>& beta, bool log_scale) {
  const int64_t channels = alpha.size(0);
  // Sum rows of the same channel and all tiles in float64: many partial sums of float32 values.
  const at::Tensor sums = partials.to(at::kDouble).view({batch, channels, -1, 2}).sum(at::IntArrayRef{0, 2});
  const at::Tensor s_a = sums.select(1, 0), s_invb = sums.select(1, 1);
  const at::Tensor al = alpha.to(at::kDouble);
  const at::Tensor be = beta.has_value() ? beta->to(at::kDouble) : al;
  const at::Tensor a = log_scale ? al.exp() : al;
  const at::Tensor b = log_scale ? be.exp() : be;
  const at::Tensor inv_b = 1.0 / (b + static_cast<double>(kSnakeEps));
  const at::Tensor dinvb = -inv_b * inv_b * (log_scale ? b : at::ones_like(b));
  const at::Tensor ga = s_a * (log_scale ? a : at::ones_like(a));
  if (!beta.has_value()) return {(ga + s_invb * dinvb).to(alpha.scalar_type()), at::empty({0}, alpha.options())};
  return {ga.to(alpha.scalar_type()), (s_invb * dinvb).to(beta->scalar_type())};
}

}  // namespace sonix
