package dev.jnn.backend.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** bin/gpu-check's training runs (GpuTrainSteps) work before a GPU ever runs them: on the simulated device, as in the rehearsal. */
class GpuTrainStepsTest {
  private static String run(int expectedStatus, String... args) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int status = GpuTrainSteps.run(args, new PrintStream(b, true, StandardCharsets.UTF_8));
    String out = b.toString(StandardCharsets.UTF_8);
    assertEquals(expectedStatus, status, out);
    return out;
  }

  @Test
  void stepsOfEveryShapeKeepSimulatedMemoryFlat() {
    String out = run(0, "--device", "simulated", "--steps", "9", "--report-every", "3", "--check-flat", "dense", "text-classifier");
    assertTrue(out.contains("RESULT dense steps 9 flat yes"), out);
    assertTrue(out.contains("RESULT text-classifier steps 9 flat yes"), out);
    assertTrue(out.contains("MEM   dense step 3 loss "), out);
  }

  @Test
  void badArgumentsExitWithTwo() {
    run(2, "--device", "simulated", "no-such-example");
    run(2, "--device", "simulated");
  }
}
