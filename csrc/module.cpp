// The Python module `sonix._C`. Importing it runs the TORCH_LIBRARY registrars of this shared object;
// it also reports what the binary was built against, for the version check in sonix/__init__.py.
#include <Python.h>

namespace {

PyObject* built_with(PyObject*, PyObject*) {
#ifdef SONIX_WITH_CUDA
  const int cuda = 1;
#else
  const int cuda = 0;
#endif
  return Py_BuildValue("{s:s,s:O}", "torch_version", SONIX_TORCH_VERSION, "cuda", cuda ? Py_True : Py_False);
}

PyMethodDef methods[] = {
    {"built_with", built_with, METH_NOARGS, "The torch version and CUDA support this binary was built with."},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "_C", "sonix compiled ops (registered under torch.ops.sonix)", -1,
                          methods};

}  // namespace

PyMODINIT_FUNC PyInit__C(void) { return PyModule_Create(&module_def); }
