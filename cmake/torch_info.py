"""Print what CMake needs to know about the installed torch, as CMake `set()` lines.

Run with the interpreter the extension is built for; importing torch is the only reliable way to
learn its version, CUDA version, C++ ABI and where the nvidia wheels put their headers.
"""

import glob
import os
import sys

try:
    import torch
except ImportError as exc:  # pragma: no cover - exercised by a broken environment only
    sys.stderr.write(
        "sonix: cannot import torch with %s (%s). Install torch first, then build with "
        "`pip install --no-build-isolation .`\n" % (sys.executable, exc)
    )
    sys.exit(1)

root = os.path.dirname(torch.__file__)
site = os.path.dirname(root)
nvidia_inc = sorted(glob.glob(os.path.join(site, "nvidia", "*", "include")))
nvidia_inc += sorted(glob.glob(os.path.join(site, "nvidia", "*", "*", "include")))
nvidia_lib = sorted(glob.glob(os.path.join(site, "nvidia", "*", "lib")))
nvidia_lib += sorted(glob.glob(os.path.join(site, "nvidia", "*", "*", "lib")))


def cm(values):
    return ";".join(v.replace("\\", "/") for v in values)


print('set(SONIX_TORCH_ROOT "%s")' % root.replace("\\", "/"))
print('set(SONIX_TORCH_VERSION "%s")' % torch.__version__)
print('set(SONIX_TORCH_CUDA_VERSION "%s")' % (torch.version.cuda or ""))
print("set(SONIX_TORCH_CXX11_ABI %d)" % int(torch._C._GLIBCXX_USE_CXX11_ABI))
print('set(SONIX_NVIDIA_INCLUDE_DIRS "%s")' % cm(nvidia_inc))
print('set(SONIX_NVIDIA_LIB_DIRS "%s")' % cm(nvidia_lib))
