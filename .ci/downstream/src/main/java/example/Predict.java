package example;

import dev.jnn.backend.Backends;
import dev.jnn.data.Dataset;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.nn.Dense;
import dev.jnn.nn.Dropout;
import dev.jnn.nn.ReLU;
import dev.jnn.optim.Adam;
import dev.jnn.profile.Profiler;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A library user's program: trains a small classifier on the native CPU backend, saves and loads
 * it (safetensors: Jackson at run time), predicts from two threads, and prints a prediction.
 * Exits non-zero if anything differs from what the README promises.
 */
public final class Predict {
  public static void main(String[] args) throws Exception {
    Device cpu = Backends.resolve("cpu");   // the native backend must load from the jar alone
    SplittableRandom r = new SplittableRandom(1);
    float[] xs = new float[200 * 4], ys = new float[200];
    for (int i = 0; i < 200; i++) {
      double s = 0;
      for (int j = 0; j < 4; j++) s += xs[i * 4 + j] = (float) r.nextDouble(-1, 1);
      ys[i] = s > 0 ? 1 : 0;
    }
    Tensor x = Tensor.of(cpu, xs, 200, 4);
    Model m = Model.sequential(new Dense(4, 16), new ReLU(), new Dropout(0.1), new Dense(16, 2)).init(7).to(cpu);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-2).build());
    m.fit(new Dataset(x, Tensor.of(cpu, ys, 200, 1)), 30, 32);

    Path file = Files.createTempFile("jnn-downstream", ".safetensors");
    m.save(file);
    Model back = Model.load(file).to(cpu);
    Files.delete(file);
    float[] expected = m.predict(x).toArray();
    if (!Arrays.equals(expected, back.predict(x).toArray())) throw new AssertionError("the loaded model predicts differently");

    ExecutorService pool = Executors.newFixedThreadPool(2);
    Future<float[]> a = pool.submit(() -> back.predict(x).toArray()), b = pool.submit(() -> back.predict(x).toArray());
    if (!Arrays.equals(expected, a.get()) || !Arrays.equals(expected, b.get())) throw new AssertionError("concurrent predictions differ");
    pool.shutdown();

    for (String absent : new String[] {"picocli.CommandLine", "me.tongfei.progressbar.ProgressBar", "org.jfree.chart.JFreeChart", "org.openjdk.jmh.Main"}) {
      try {
        Class.forName(absent);
        throw new AssertionError(absent + " is on a library user's classpath");
      } catch (ClassNotFoundException expectedAbsent) {
        // the jnn command's libraries are optional dependencies
      }
    }
    try (Profiler p = Profiler.start(back.network())) {
      back.predict(x);
      p.report().writeLayerChart(Path.of("target", "layers.png"));
      throw new AssertionError("writeLayerChart worked without JFreeChart");
    } catch (IllegalStateException e) {
      if (!e.getMessage().contains("org.jfree:jfreechart")) throw new AssertionError("unclear message: " + e.getMessage(), e);
    }

    int correct = 0;
    for (int i = 0; i < 200; i++) if ((expected[2 * i + 1] > expected[2 * i]) == (ys[i] == 1)) correct++;
    System.out.printf("downstream: sample 0 -> logits [%.4f, %.4f], class %d (label %d); training accuracy %d/200 on %s%n", expected[0], expected[1],
        expected[1] > expected[0] ? 1 : 0, (int) ys[0], correct, cpu);
    if (correct < 180) throw new AssertionError("training accuracy " + correct + "/200");
  }
}
