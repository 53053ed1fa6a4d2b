package dev.jnn.bench.jmh;

import dev.jnn.backend.Backends;
import dev.jnn.data.Dataset;
import dev.jnn.train.Model;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.DenseExample;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH: one training step of the dense example (10 -> Dense(50, ReLU) -> Dense(1, Sigmoid), BCE,
 * Adam, batch 32): forward, loss, backward and update on one fixed batch, the step
 * {@code jnn bench mlp} times by hand. At this size a step is mostly per-call overhead (17 kernel
 * calls). {@code jnn bench jmh DenseStep} runs it.
 *
 * <pre>{@code
 * new Runner(new OptionsBuilder().include("DenseStepBench").param("backend", "cpu").build()).run();
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DenseStepBench {
  /** Backend name (java, cpu, cuda); one that is not present fails the setup with the reason. */
  @Param({"java", "cpu"})
  public String backend;

  private Model model;
  private Tensor x, y;

  @Setup
  public void setup() {
    Device d = Backends.get(Device.parse(backend)).device();
    Dataset train = DenseExample.data(1, 1000, 32).train();
    // x is (32, 10), y is (32, 1): one fixed batch
    x = train.features().rows(0, 32).copy().to(d);
    y = train.targets().rows(0, 32).copy().to(d);
    model = DenseExample.compiledModel(DenseExample.Config.defaults().withDevice(d));
  }

  /** One training step; the loss is returned so the JIT cannot drop the work. */
  @Benchmark
  public float step() {
    return model.trainOnBatch(x, y);
  }
}
