// Argument checks of the loss ops, shared by the CPU and CUDA front ends.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/string_view.h>

#include "core/checks.h"
#include "spectral/spectral_common.h"

namespace sonix {

struct StftLossArgs {
  FrameGeometry g;
  int64_t rows, n_freq;
  bool l2;
};

// Validates input / target (same (batch, time) shape, dtype and device), the window and the loss
// parameters, and returns the geometry of both STFTs.
StftLossArgs stft_loss_args(const at::Tensor& input, const at::Tensor& target, const at::Tensor& window, int64_t n_fft,
                            int64_t hop, bool center, c10::string_view pad_mode, double eps, int64_t distance);

// Checks the (batch, 4) gradient of the sums.
void check_stft_loss_grad(const at::Tensor& grad, const at::Tensor& input, const StftLossArgs& a);

}  // namespace sonix
