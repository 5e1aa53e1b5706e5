// CPU registration of the convolution ops (ATen FFT / conv1d, parallel inside ATen).
#include <torch/library.h>

#include "convolve/convolve_common.h"

namespace sonix {

TORCH_LIBRARY_IMPL(sonix, CPU, m) {
  m.impl("fftconvolve", &fftconvolve_impl);
  m.impl("fftconvolve_backward", &fftconvolve_backward_impl);
}

}  // namespace sonix
