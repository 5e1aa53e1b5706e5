// Qualifiers for math shared by the CPU and CUDA kernels.
#pragma once

#if defined(__CUDACC__)
#define SONIX_HD __host__ __device__ __forceinline__
#else
#define SONIX_HD inline
#endif
