/* libtorch's bundled MKL asks this internal function whether the CPU is an Intel one and, on AMD CPUs,
 * takes a generic non-AVX-512 path. Defining it here (loaded RTLD_GLOBAL before libtorch) makes MKL use
 * the AVX-512 kernels the CPU has: about 2x fp32 matmul speed, outputs identical to ~3e-6. */
int mkl_serv_intel_cpu_true(void) { return 1; }
