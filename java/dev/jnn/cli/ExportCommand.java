package dev.jnn.cli;

import dev.jnn.onnx.OnnxExport;
import dev.jnn.train.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jnn export}: a model saved by {@code jnn train ... --save} (or {@code Model.save}) as an
 * ONNX file for inference elsewhere (docs/ONNX.md).
 *
 * <pre>
 * ./jnn train fashion-mnist --save cnn.safetensors
 * ./jnn export --model cnn.safetensors --onnx cnn.onnx --input-shape 1,28,28
 * </pre>
 */
@Command(name = "export", description = "Write a saved model as ONNX (opset 17+, dynamic batch axis) for inference in other runtimes.")
final class ExportCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "a saved model (safetensors, from jnn train ... --save or Model.save)")
  Path model;

  @Option(names = "--onnx", required = true, description = "the ONNX file to write")
  Path onnx;

  @Option(names = "--opset", defaultValue = "17", description = "ONNX opset, 17 to 21 (default: ${DEFAULT-VALUE})")
  int opset;

  @Option(names = "--input-shape", split = ",", paramLabel = "D1,D2,...",
      description = "the input's shape after the batch axis, -1 for a dynamic axis (default: what the model fixes, e.g. 1,-1,-1 for the CNN)")
  int[] inputShape;

  @Override
  public Integer call() throws IOException {
    Cli.readableFile("--model", model);
    Cli.writableFile("--onnx", onnx);
    Cli.require(opset >= OnnxExport.MIN_OPSET && opset <= OnnxExport.MAX_OPSET,
        "--opset must be " + OnnxExport.MIN_OPSET + " to " + OnnxExport.MAX_OPSET + ", got " + opset);
    if (inputShape != null)
      for (int d : inputShape) Cli.require(d >= 1 || d == -1, "--input-shape: each axis must be >= 1 or -1 (dynamic), got " + d);
    Model m = Model.load(model);
    OnnxExport.Options o = OnnxExport.Options.defaults().opset(opset);
    if (inputShape != null) {
      Cli.require(m.inputCount() == 1, "--input-shape gives one input's shape, but the model takes " + m.inputCount() + " inputs");
      int[] full = new int[inputShape.length + 1];
      full[0] = -1;
      System.arraycopy(inputShape, 0, full, 1, inputShape.length);
      o = o.inputShapes(full);
    }
    m.exportOnnx(onnx, o);
    System.out.printf("%s -> %s: %s, opset %d, %,d bytes%n", model, onnx, m.network().name(), opset, Files.size(onnx));
    return 0;
  }
}
