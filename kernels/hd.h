#pragma once
#if defined(__CUDACC__)
#define TANGO_HD __host__ __device__
#else
#define TANGO_HD
#endif
