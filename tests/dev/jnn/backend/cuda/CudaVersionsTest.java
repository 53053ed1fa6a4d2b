package dev.jnn.backend.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class CudaVersionsTest {
  @Test
  void currentVersionsPass() {
    assertEquals(List.of(), CudaVersions.check(13000, 13010, 130100, 91900));
    assertEquals(List.of(), CudaVersions.check(13000, 13000, 130000, 90000), "the minimums themselves pass");
  }

  @Test
  void tooOldDriver() {
    assertEquals(List.of("CUDA driver 12.4 is too old: need >= 13.0 (update the NVIDIA driver)"),
        CudaVersions.check(12040, 13000, 130000, 90100));
  }

  @Test
  void tooOldRuntime() {
    assertEquals(List.of("CUDA runtime 12.8 is too old: need >= 13.0"), CudaVersions.check(13000, 12080, 130000, 90100));
  }

  @Test
  void tooOldCudnnAndCublas() {
    assertEquals(List.of("cuBLAS 12.9.1 is too old: need >= 13.0.0", "cuDNN 8.9.7 is too old: need >= 9.0.0"),
        CudaVersions.check(13000, 13000, 120901, 8907));
  }

  @Test
  void missingDriverAndLibraries() {
    assertEquals(List.of("no CUDA driver (libcuda.so.1 not found)", "CUDA runtime not loaded (libcudart.so.13)",
            "cuBLAS not loaded (libcublas.so.13)", "cuDNN not loaded (libcudnn.so.9)"),
        CudaVersions.check(0, 0, 0, 0));
  }

  @Test
  void notCheckedComponentsAddNothing() {
    assertEquals(List.of(), CudaVersions.check(-1, -1, -1, -1));
    assertEquals(List.of("cuDNN not loaded (libcudnn.so.9)"), CudaVersions.check(13000, 13000, -1, 0));
  }

  @Test
  void versionStrings() {
    assertEquals("13.0", CudaVersions.cuda(13000));
    assertEquals("12.4", CudaVersions.cuda(12040));
    assertEquals("none", CudaVersions.cuda(0));
    assertEquals("unknown", CudaVersions.cuda(-1));
    assertEquals("13.1.0", CudaVersions.cublas(130100));
    assertEquals("9.19.0", CudaVersions.cudnn(91900));
    assertEquals("9.1.2", CudaVersions.cudnn(90102));
  }

  @Test
  void cudnnOlderThanThePresetIsAWarningNotAProblem() {
    assertEquals(91900, CudaVersions.PRESET_CUDNN, "the preset's cuDNN (org.bytedeco:cuda 13.1-9.19)");
    assertEquals(List.of(), CudaVersions.check(13000, 13000, 130000, 90800), "9.8 is a cuDNN 9: it loads");
    List<String> w = CudaVersions.warnings(90800);
    assertEquals(1, w.size());
    assertTrue(w.get(0).startsWith("cuDNN 9.8.0 is older than the 9.19.0 the CUDA preset was built against"), w.get(0));
    assertEquals(List.of(), CudaVersions.warnings(91900));
    assertEquals(List.of(), CudaVersions.warnings(92000));
    assertEquals(List.of(), CudaVersions.warnings(-1), "not checked");
  }

  @Test
  void cudnnMustBeBuiltForCuda13() {
    assertEquals(List.of(), CudaVersions.checkCudnnCuda(13000));
    assertEquals(List.of(), CudaVersions.checkCudnnCuda(13010));
    assertEquals(List.of(), CudaVersions.checkCudnnCuda(-1), "not checked");
    assertEquals(List.of("cuDNN was built for CUDA 12.8, the CUDA backend needs a cuDNN for CUDA 13 (pip: nvidia-cudnn-cu13, not nvidia-cudnn-cu12)"),
        CudaVersions.checkCudnnCuda(12080));
    assertTrue(CudaVersions.checkCudnnCuda(0).get(0).contains("gives 0"));
  }

}
