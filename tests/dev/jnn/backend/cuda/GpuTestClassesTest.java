package dev.jnn.backend.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The classes bin/gpu-check runs one process each: found from the compiled tests. */
class GpuTestClassesTest {
  @Test
  void findsTheClassesWithCudaRowsAndLeavesOutTheOthers() throws Exception {
    Path classes = Path.of(GpuTestClassesTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    assertTrue(Files.isDirectory(classes) || Files.isRegularFile(classes), classes.toString());
    List<String> found = GpuTestClasses.find(classes);
    for (String want : List.of("dev.jnn.backend.RnnParityTest", "dev.jnn.backend.ConvParityTest", "dev.jnn.backend.cuda.CudaContextGpuTest",
        "dev.jnn.backend.cuda.CudaBackendKernelTest", "dev.jnn.backend.cuda.RnnBackwardRepeatTest", "dev.jnn.nn.SequenceLayersTest"))
      assertTrue(found.contains(want), want + " missing from " + found);
    for (String not : List.of("dev.jnn.backend.cuda.CachingAllocatorTest", "dev.jnn.backend.cuda.GpuTestClassesTest",
        "dev.jnn.backend.cuda.JnnCudaExportsTest", "dev.jnn.nn.DeviceModelTest"))
      assertFalse(found.contains(not), not + " needs no GPU or the build tree, yet was listed");
  }
}
