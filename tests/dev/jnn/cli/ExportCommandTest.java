package dev.jnn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.jnn.Tolerances;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.CnnExample;
import dev.jnn.train.DenseExample;
import dev.jnn.train.Model;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jnn export}: saved models become ONNX files that ONNX Runtime runs like predict; mistakes are one line and exit status 2. */
@Tag("build-tree")   // needs ONNX Runtime, a test-scope jar of the Maven build: not in the offline bundle (bin/test excludes the tag)
class ExportCommandTest {
  @TempDir static Path dir;

  private static CliRun run(String... args) { return CliRun.of(args); }

  /** ORT's output for x vs the saved model's predict. */
  private static void sameAsPredict(Path onnx, Model m, Tensor x) throws OrtException, IOException {
    float[] want = m.predict(x).toArray();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    long[] shape = new long[x.rank()];
    for (int d = 0; d < shape.length; d++) shape[d] = x.dim(d);
    try (OrtSession s = env.createSession(Files.readAllBytes(onnx), new OrtSession.SessionOptions());
         OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.toArray()), shape);
         OrtSession.Result r = s.run(Map.of("input", in))) {
      FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
      float[] got = new float[fb.remaining()];
      fb.get(got);
      assertEquals(want.length, got.length);
      double scale = 0;
      for (float v : want) scale = Math.max(scale, Math.abs(v));
      for (int i = 0; i < want.length; i++)
        assertTrue(Math.abs(got[i] - want[i]) <= Tolerances.ONNX_RTOL * scale, "element " + i + ": ORT " + got[i] + ", jnn " + want[i]);
    }
  }

  private static float[] uniform(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) r.nextDouble();
    return a;
  }

  @Test
  void exportsSavedModelsThatOnnxRuntimeRunsLikePredict() throws Exception {
    Path dense = dir.resolve("dense.safetensors"), cnn = dir.resolve("cnn.safetensors");
    DenseExample.model(2).save(dense);
    Model trained = CnnExample.fashionMnistCnn(3);   // as jnn train fashion-mnist --save writes it: compiled, optimizer state, one step taken
    trained.compile(new dev.jnn.loss.SoftmaxCrossEntropyLoss(), dev.jnn.optim.Adam.builder().lr(1e-3).build());
    trained.trainOnBatch(Tensor.of(uniform(4 * 28 * 28, 3), 4, 1, 28, 28), Tensor.of(new float[] {0, 3, 7, 9}, 4));
    trained.save(cnn);

    CliRun a = run("export", "--model", dense.toString(), "--onnx", dir.resolve("dense.onnx").toString());
    assertEquals(0, a.exit(), a.err());
    assertTrue(a.out().contains("dense.onnx") && a.out().contains("opset 17"), a.out());
    sameAsPredict(dir.resolve("dense.onnx"), Model.load(dense), Tensor.of(uniform(30, 1), 3, 10));

    CliRun b = run("export", "--model", cnn.toString(), "--onnx", dir.resolve("cnn.onnx").toString(), "--input-shape", "1,28,28", "--opset", "18");
    assertEquals(0, b.exit(), b.err());
    sameAsPredict(dir.resolve("cnn.onnx"), Model.load(cnn), Tensor.of(uniform(2 * 28 * 28, 2), 2, 1, 28, 28));
  }

  @Test
  void mistakesAreOneLineAndExitStatus2() throws IOException {
    Path cnn = dir.resolve("cnn2.safetensors");
    CnnExample.fashionMnistCnn(1).save(cnn);
    String out = dir.resolve("x.onnx").toString();
    String[][] cases = {
        {"export", "--model", dir.resolve("missing.safetensors").toString(), "--onnx", out},
        {"export", "--model", cnn.toString(), "--onnx", dir.resolve("no/such/dir/x.onnx").toString()},
        {"export", "--model", cnn.toString(), "--onnx", out, "--opset", "13"},
        {"export", "--model", cnn.toString(), "--onnx", out, "--input-shape", "28,28"},
        {"export", "--model", cnn.toString(), "--onnx", out, "--input-shape", "0,28,28"},
        {"export", "--model", cnn.toString()},
    };
    for (String[] c : cases) {
      CliRun r = run(c);
      assertEquals(2, r.exit(), String.join(" ", c) + ": " + r.err());
      assertEquals(1, r.err().lines().count(), r.err());
      assertTrue(r.err().startsWith("jnn: "), r.err());
      assertEquals("", r.out(), String.join(" ", c));
    }
    assertTrue(!Files.exists(dir.resolve("x.onnx")), "nothing written for a mistake");
  }
}
