// Argument parsing and geometry shared by the CPU and CUDA front ends of the spectral ops.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/string_view.h>

#include <vector>

#include "core/checks.h"
#include "spectral/framing.h"
#include "spectral/spectral_math.h"

namespace sonix {

PadMode parse_pad_mode(c10::string_view mode);

// Validates the framing arguments against a (batch, length) input and returns the geometry.
FrameGeometry analysis_geometry(const at::Tensor& input, const at::Tensor& window, int64_t n_fft, int64_t hop,
                                bool center, c10::string_view pad_mode);

// Validates the arguments of stft_backward (the gradient spectrum included) and returns the geometry of
// the stft it is the adjoint of.
FrameGeometry adjoint_geometry(const at::Tensor& grad, const at::Tensor& window, int64_t length, int64_t n_fft,
                               int64_t hop, bool center, c10::string_view pad_mode, bool onesided);

// Geometry of an inverse transform with n_frames frames (istft and the adjoint of istft).
FrameGeometry synthesis_geometry(int64_t n_frames, int64_t n_fft, int64_t hop, bool center);

// Output length of istft: `length` when given (>= 0), else the centred / uncentred default.
int64_t istft_length(const FrameGeometry& g, int64_t length);

int64_t n_freq_of(int64_t n_fft, bool onesided);

// The real type (float or double) of a complex spectrum; fails for a real tensor.
at::ScalarType real_of_complex(const at::Tensor& t, const char* name);

// Checks a spectrum (batch, n_freq, n_frames) against n_fft and the window and returns its n_frames.
int64_t check_spec(const at::Tensor& spec, const at::Tensor& window, int64_t n_fft, bool onesided, const char* name);

LogParams make_log_params(bool enabled, double scale, double offset, double amin, double bias);

// Checks the optional mel filterbank (n_freq, n_mels) against the spectrum and the input.
void check_mel_fb(const c10::optional<at::Tensor>& fb, const at::Tensor& input, int64_t n_fft);

void check_power(double power);

// Validated arguments of mel_spectrogram and its backward, shared by the CPU and CUDA front ends.
struct MelArgs {
  FrameGeometry g;
  LogParams lp;
  int64_t rows, n_freq, n_out;  // n_out: mel bands, or n_freq without a filterbank
};

MelArgs mel_args(const at::Tensor& input, const at::Tensor& window, const c10::optional<at::Tensor>& mel_fb,
                 int64_t n_fft, int64_t hop, bool center, c10::string_view pad_mode, double power, bool log,
                 double log_scale, double log_offset, double log_amin, double log_bias);

// Checks the gradient of a mel_spectrogram output: shape (rows, n_out, n_frames), input's device.
void check_mel_grad(const at::Tensor& grad, const at::Tensor& input, const MelArgs& a);

}  // namespace sonix
