// layernorm.cu - layer normalization over the last axis of a (rows, cols) matrix, forward and
// backward (jnn_cpu's layernorm.cpp, the same formulas).
//
// Rows: one warp per row (8 rows per 256-thread block, grid-stride over rows); lane l handles
// columns l, l+32, ...; row sums are fixed-order warp reductions in double (common.cuh).
// dgamma, dbeta: column sums over rows in two fixed-order stages, no atomics: a block covers 32
// columns of one chunk of rows (its 8 warps split the chunk's rows, their partial sums added in
// warp order) and writes a double partial sum per chunk; then one thread per column adds the
// chunks in order. The partials are read before dx is written, so dx may alias x or dy.
#include "common.cuh"

using namespace jnn_cuda;

namespace {
__device__ inline int64_t warp_id() { return ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) / kWarp; }
__device__ inline int64_t warps_in_grid() { return (int64_t)gridDim.x * (blockDim.x / kWarp); }
__device__ inline int lane() { return (int)(threadIdx.x % kWarp); }
}  // namespace

// x, y are (rows, cols); gamma, beta (cols); mean, rstd (rows): y = (x - mean) rstd gamma + beta.
__global__ void layernorm_forward(const float* x, const float* gamma, const float* beta, float eps, float* y, float* mean, float* rstd,
                                  int64_t rows, int64_t cols) {
  for (int64_t r = warp_id(); r < rows; r += warps_in_grid()) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    double s = 0.0;
    for (int64_t j = lane(); j < cols; j += kWarp) s += xr[j];
    const double mu = warp_sum(s) / (double)cols;
    double q = 0.0;
    for (int64_t j = lane(); j < cols; j += kWarp) {
      const double d = xr[j] - mu;
      q += d * d;
    }
    const float mu_f = (float)mu, rs_f = (float)(1.0 / sqrt(warp_sum(q) / (double)cols + (double)eps));
    for (int64_t j = lane(); j < cols; j += kWarp) yr[j] = (xr[j] - mu_f) * rs_f * gamma[j] + beta[j];
    if (lane() == 0) {
      mean[r] = mu_f;
      rstd[r] = rs_f;
    }
  }
}

// x, dy, dx are (rows, cols): dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), per row.
__global__ void layernorm_backward_dx(const float* x, const float* dy, const float* gamma, const float* mean, const float* rstd, float* dx,
                                      int64_t rows, int64_t cols) {
  for (int64_t r = warp_id(); r < rows; r += warps_in_grid()) {
    const float* xr = x + r * cols;
    const float* gr = dy + r * cols;
    float* dr = dx + r * cols;
    const float mu = mean[r], rs = rstd[r];
    double sd = 0.0, sdx = 0.0;
    for (int64_t j = lane(); j < cols; j += kWarp) {
      const float dxhat = gr[j] * gamma[j], xhat = (xr[j] - mu) * rs;
      sd += dxhat;
      sdx += (double)dxhat * xhat;
    }
    const float md = (float)(warp_sum(sd) / (double)cols), mdx = (float)(warp_sum(sdx) / (double)cols);
    for (int64_t j = lane(); j < cols; j += kWarp) {
      const float xhat = (xr[j] - mu) * rs;
      dr[j] = rs * ((gr[j] * gamma[j] - md) - xhat * mdx);
    }
  }
}

// partial is (2 chunks, cols) doubles: row 2c holds sum over chunk c's rows of dy xhat, row 2c+1
// the sum of dy. Chunk c is rows [c chunk_rows, (c+1) chunk_rows). Grid-stride over (chunk, tile).
__global__ void layernorm_backward_partials(const float* x, const float* dy, const float* mean, const float* rstd, double* partial,
                                            int64_t rows, int64_t cols, int64_t chunk_rows, int64_t chunks) {
  __shared__ double pg[kWarpsPerBlock][kWarp];
  __shared__ double pb[kWarpsPerBlock][kWarp];
  const int warp = (int)(threadIdx.x / kWarp), ln = (int)(threadIdx.x % kWarp);
  const int64_t tiles = (cols + kWarp - 1) / kWarp;
  for (int64_t item = blockIdx.x; item < chunks * tiles; item += gridDim.x) {
    const int64_t c = item / tiles, j = (item % tiles) * kWarp + ln;
    const int64_t r1 = min(rows, (c + 1) * chunk_rows);
    double g = 0.0, b = 0.0;
    if (j < cols)
      for (int64_t r = c * chunk_rows + warp; r < r1; r += kWarpsPerBlock) {
        const float d = dy[r * cols + j], xhat = (x[r * cols + j] - mean[r]) * rstd[r];
        g += (double)d * xhat;
        b += d;
      }
    pg[warp][ln] = g;
    pb[warp][ln] = b;
    __syncthreads();
    if (warp == 0 && j < cols) {
      double sg = 0.0, sb = 0.0;
      for (int w = 0; w < kWarpsPerBlock; w++) {
        sg += pg[w][ln];
        sb += pb[w][ln];
      }
      partial[2 * c * cols + j] = sg;
      partial[(2 * c + 1) * cols + j] = sb;
    }
    __syncthreads();
  }
}

// dgamma[j], dbeta[j] = the chunks' partial sums of column j, added in chunk order.
__global__ void layernorm_backward_reduce(const double* partial, float* dgamma, float* dbeta, int64_t chunks, int64_t cols) {
  for (int64_t j = global_thread(); j < cols; j += grid_threads()) {
    double g = 0.0, b = 0.0;
    for (int64_t c = 0; c < chunks; c++) {
      g += partial[2 * c * cols + j];
      b += partial[(2 * c + 1) * cols + j];
    }
    dgamma[j] = (float)g;
    dbeta[j] = (float)b;
  }
}

// zeros (cols) twice: the parameter gradients of an empty batch.
__global__ void layernorm_backward_zero(float* dgamma, float* dbeta, int64_t cols) {
  for (int64_t j = global_thread(); j < cols; j += grid_threads()) dgamma[j] = dbeta[j] = 0.0f;
}

extern "C" {

int jnn_cuda_layernorm_forward(void* stream, const float* x, const float* gamma, const float* beta, float eps, float* y,
                               float* mean, float* rstd, int64_t rows, int64_t cols) {
  return rows <= 0 || cols <= 0 ? 0 : launch(layernorm_forward, grid_for(rows, kWarpsPerBlock), stream, x, gamma, beta, eps, y, mean, rstd, rows, cols);
}

int jnn_cuda_layernorm_backward(void* stream, const float* x, const float* dy, const float* gamma, const float* mean, const float* rstd,
                                float* dx, float* dgamma, float* dbeta, double* partials, int64_t rows, int64_t cols) {
  if (cols <= 0) return 0;
  if (rows <= 0) return launch(layernorm_backward_zero, grid_for(cols), stream, dgamma, dbeta, cols);
  // chunks of rows: a function of the shape alone, so the sums and their order are too
  const int64_t chunk_rows = (rows + JNN_CUDA_LAYERNORM_CHUNKS - 1) / JNN_CUDA_LAYERNORM_CHUNKS;
  const int64_t chunks = (rows + chunk_rows - 1) / chunk_rows, tiles = (cols + kWarp - 1) / kWarp;
  int status = launch(layernorm_backward_partials, grid_for(chunks * tiles, 1), stream, x, dy, mean, rstd, partials, rows, cols, chunk_rows, chunks);
  if (status == 0) status = launch(layernorm_backward_reduce, grid_for(cols), stream, (const double*)partials, dgamma, dbeta, chunks, cols);
  if (status == 0) status = launch(layernorm_backward_dx, grid_for(rows, kWarpsPerBlock), stream, x, dy, gamma, mean, rstd, dx, rows, cols);
  return status;
}

}  // extern "C"
