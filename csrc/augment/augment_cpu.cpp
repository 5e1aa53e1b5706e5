// CPU kernels of the augmentation ops: keyed random numbers and the fused pointwise chain.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <vector>

#include "augment/augment_common.h"
#include "augment/philox.h"

namespace sonix::augment {
namespace {


int64_t grain(int64_t per_row) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(per_row, 1)); }

at::Tensor keyed_uniform_cpu(const at::Tensor& keys, int64_t seed, int64_t step, int64_t stream, int64_t count) {
  check_row_keys(keys, count);
  const at::Tensor k = keys.contiguous();
  at::Tensor out = at::empty({k.size(0), count}, k.options().dtype(at::kDouble));
  const int64_t* kp = k.const_data_ptr<int64_t>();
  double* op = out.mutable_data_ptr<double>();
  at::parallel_for(0, k.size(0), grain(count), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const DrawKey dk = make_draw_key(seed, step, stream, kp[r]);
      for (int64_t j = 0; j < count; j += 2) {
        double u0, u1;
        uniform_pair(dk, static_cast<uint32_t>(j >> 1), u0, u1);
        op[r * count + j] = u0;
        if (j + 1 < count) op[r * count + j + 1] = u1;
      }
    }
  });
  return out;
}

at::Tensor keyed_normal_cpu(const at::Tensor& keys, int64_t seed, int64_t step, int64_t stream, int64_t count,
                            at::ScalarType dtype) {
  check_row_keys(keys, count);
  SONIX_CHECK(at::isFloatingType(dtype), "dtype must be a floating-point type, got ", dtype);
  const at::Tensor k = keys.contiguous();
  at::Tensor out = at::empty({k.size(0), count}, k.options().dtype(dtype));
  const int64_t* kp = k.const_data_ptr<int64_t>();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, dtype, "sonix_keyed_normal_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    scalar_t* op = out.mutable_data_ptr<scalar_t>();
    at::parallel_for(0, k.size(0), grain(count), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const DrawKey dk = make_draw_key(seed, step, stream, kp[r]);
        for (int64_t j = 0; j < count; ++j) op[r * count + j] = static_cast<scalar_t>(keyed_normal_at<acc_t>(dk, j));
      }
    });
  });
  return out;
}

// Runs the chain over (rows, time) in blocks; with grad, writes grad * chain'(x) instead of chain(x).
template <typename scalar_t>
void run_chain(const at::Tensor& x, const scalar_t* grad, const at::Tensor& table, const std::vector<int64_t>& kinds,
               at::Tensor& out) {
  using acc_t = at::opmath_type<scalar_t>;
  const int64_t rows = x.size(0), time = x.size(1), n_stages = static_cast<int64_t>(kinds.size());
  const scalar_t* xp = x.const_data_ptr<scalar_t>();
  const acc_t* pp = table.const_data_ptr<acc_t>();
  scalar_t* op = out.mutable_data_ptr<scalar_t>();
  at::parallel_for(0, rows, grain(time), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const acc_t* params = pp + r * n_stages * 2;
      const scalar_t* xr = xp + r * time;
      scalar_t* orow = op + r * time;
      for (int64_t t = 0; t < time; ++t) {
        acc_t d;
        const acc_t v = chain_apply(kinds.data(), n_stages, params, static_cast<acc_t>(xr[t]), d);
        orow[t] = grad ? static_cast<scalar_t>(static_cast<acc_t>(grad[r * time + t]) * d) : static_cast<scalar_t>(v);
      }
    }
  });
}

// A chain of gains only (the common case: gain, polarity) folds into one multiply per row.
bool gains_only(const std::vector<int64_t>& kinds) {
  return std::all_of(kinds.begin(), kinds.end(), [](int64_t k) { return k == kGain; });
}

at::Tensor chain_cpu(const at::Tensor& input, const at::Tensor& params, at::IntArrayRef kinds_ref,
                     const at::Tensor* grad) {
  check_chain(input, params, kinds_ref);
  const std::vector<int64_t> kinds(kinds_ref.begin(), kinds_ref.end());
  const at::Tensor x = input.contiguous();
  at::Tensor out = at::empty_like(x, at::MemoryFormat::Contiguous);
  if (x.numel() == 0) return out;
  const at::ScalarType acc = compute_type(x.scalar_type());
  const at::Tensor table = params.to(acc).contiguous();
  if (gains_only(kinds)) {
    // Product of the stage gains per row, then one broadcast multiply (vectorised by ATen).
    const at::Tensor g = table.select(2, 0).prod(1, /*keepdim=*/true);
    const at::Tensor base = grad ? grad->to(x.scalar_type()) : x;
    return (base.to(acc) * g).to(x.scalar_type());
  }
  const at::Tensor g = grad ? grad->to(x.scalar_type()).contiguous() : at::Tensor();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_augment_pointwise_cpu", [&] {
    run_chain<scalar_t>(x, grad ? g.const_data_ptr<scalar_t>() : nullptr, table, kinds, out);
  });
  return out;
}

at::Tensor augment_pointwise_cpu(const at::Tensor& input, const at::Tensor& params, at::IntArrayRef kinds) {
  return chain_cpu(input, params, kinds, nullptr);
}

at::Tensor augment_pointwise_backward_cpu(const at::Tensor& grad, const at::Tensor& input, const at::Tensor& params,
                                          at::IntArrayRef kinds) {
  SONIX_CHECK(grad.sizes() == input.sizes(), "grad must have the shape of input ", input.sizes(), ", got ",
              grad.sizes());
  return chain_cpu(input, params, kinds, &grad);
}

}  // namespace

TORCH_LIBRARY_IMPL(sonix, CPU, m) {
  m.impl("keyed_uniform", &keyed_uniform_cpu);
  m.impl("keyed_normal", &keyed_normal_cpu);
  m.impl("augment_pointwise", &augment_pointwise_cpu);
  m.impl("augment_pointwise_backward", &augment_pointwise_backward_cpu);
}

}  // namespace sonix::augment
