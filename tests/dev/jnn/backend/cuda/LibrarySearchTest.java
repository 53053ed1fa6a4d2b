package dev.jnn.backend.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LibrarySearchTest {
  @Test
  void findsInDirectoriesThenLdconfig(@TempDir Path dir) throws IOException {
    Files.createFile(dir.resolve("libcudnn.so.9"));
    LibrarySearch s = new LibrarySearch(List.of(dir.toFile()), Map.of("libcudart.so.13", "/opt/cuda/libcudart.so.13"));
    assertEquals(Optional.of(new File(dir.toFile(), "libcudnn.so.9").getPath()), s.find("libcudnn.so.9"));
    assertEquals(Optional.of("/opt/cuda/libcudart.so.13"), s.find("libcudart.so.13"));
    assertEquals(Optional.empty(), s.find("libcuda.so.1"));
    assertEquals(List.of("libcuda.so.1", "libcudnn_ops.so.9"),
        s.missing(List.of("libcuda.so.1", "libcudnn.so.9", "libcudnn_ops.so.9", "libcudart.so.13")));
    assertEquals("libcuda.so.1 => not found, libcudart.so.13 => /opt/cuda/libcudart.so.13",
        s.describe(List.of("libcuda.so.1", "libcudart.so.13")));
  }

  @Test
  void parsesLdconfigKeeping64BitEntries() {
    Map<String, String> m = LibrarySearch.parseLdconfig(List.of(
        "1234 libs found in cache `/etc/ld.so.cache'",
        "\tlibcudart.so.13 (libc6,x86-64) => /usr/local/cuda-13.0/lib/libcudart.so.13",
        "\tlibfoo.so.1 (libc6) => /usr/lib32/libfoo.so.1",
        "\tlibfoo.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libfoo.so.1"));
    assertEquals(Map.of("libcudart.so.13", "/usr/local/cuda-13.0/lib/libcudart.so.13",
        "libfoo.so.1", "/usr/lib/x86_64-linux-gnu/libfoo.so.1"), m);
  }

  @Test
  void unopenedLibraryComesFromTheInnermostLoaderMessage() {
    // the shape of JavaCPP's failure: a misleading outer message, the loader's words in the cause
    UnsatisfiedLinkError inner = new UnsatisfiedLinkError(
        "/root/.javacpp/cache/cuda.jar/org/bytedeco/cuda/linux-x86_64/libjnicudnn.so: libcudnn_graph.so.9: cannot open shared object file: No such file or directory");
    UnsatisfiedLinkError outer = new UnsatisfiedLinkError("no jnicudnn in java.library.path: /usr/lib");
    outer.initCause(inner);
    assertEquals(Optional.of("libcudnn_graph.so.9"), LibrarySearch.unopenedLibrary(outer));
    assertTrue(LibrarySearch.innermost(outer).startsWith("UnsatisfiedLinkError: /root/.javacpp/"), LibrarySearch.innermost(outer));
    assertEquals(Optional.empty(), LibrarySearch.unopenedLibrary(new UnsatisfiedLinkError("undefined symbol: cudnnCreate")));
  }

  @Test
  void probeMessages() {
    assertEquals("cuDNN: libcudnn.so.9 not found (searched: java.library.path, LD_LIBRARY_PATH, ldconfig); "
            + "install cuDNN 9 for CUDA 13 or add PyTorch's site-packages/nvidia/cudnn/lib (pip package nvidia-cudnn-cu13) to LD_LIBRARY_PATH",
        CudaProbe.notFound("cuDNN", List.of("libcudnn.so.9"), CudaProbe.HINT_CUDNN));
    assertTrue(CudaProbe.HINT_CUBLAS.contains("nvidia/cu13/lib") && !CudaProbe.HINT_CUBLAS.contains("nvidia/cublas/lib"),
        "CUDA 13 wheels put cuBLAS in nvidia/cu13/lib: " + CudaProbe.HINT_CUBLAS);
    assertTrue(CudaProbe.HINT_CUDART.contains("nvidia/cu13/lib"), CudaProbe.HINT_CUDART);
    assertTrue(CudaProbe.noDriver().startsWith("no CUDA driver (libcuda.so.1 not found, searched: java.library.path, LD_LIBRARY_PATH, ldconfig); install the NVIDIA driver"), CudaProbe.noDriver());
    // the main library missing: name it alone; only sub-libraries missing: name those
    assertEquals(List.of("libcudnn.so.9"), CudaProbe.toName(CudaProbe.CUDNN, CudaProbe.CUDNN));
    assertEquals(List.of("libcudnn_ops.so.9"), CudaProbe.toName(CudaProbe.CUDNN, List.of("libcudnn_ops.so.9")));
    assertEquals(List.of(), CudaProbe.toName(CudaProbe.CUDNN, List.of()));
  }
}
