/**
 * Custom WebGL programs, run through tfjs-backend-webgl's compileAndRun: where a few tfjs
 * kernels (each a draw call over a whole tensor) do what one program can.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface WebGLProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms?: { name: string; type: 'float' }[];
  /**
   * Read the inputs / write the output as packed textures (2×2 blocks, a vec4 per texel: x = (r, c),
   * y = (r, c + 1), z = (r + 1, c), w = (r + 1, c + 1)). tfjs's products and most elementwise
   * kernels produce packed textures; an unpacked program makes tfjs convert each such input first
   * (one more pass over it) and does a quarter of the work per texel.
   */
  packedInputs?: boolean;
  packedOutput?: boolean;
}

/** The part of tfjs-backend-webgl's MathBackendWebGL used here. */
interface WebGLBackend {
  compileAndRun(program: WebGLProgram, inputs: tf.TensorInfo[], outputDtype?: tf.DataType, customUniformValues?: number[][]): tf.TensorInfo;
}

function webglBackend(): WebGLBackend | null {
  if (tf.getBackend() !== 'webgl') return null;
  const b = tf.backend() as unknown as Partial<WebGLBackend>;
  return typeof b.compileAndRun === 'function' ? (b as WebGLBackend) : null;
}

/** Whether custom programs can run (the active backend is WebGL). */
export function onWebGL(): boolean {
  return webglBackend() !== null;
}

/** Run `program` on `inputs` (float32 output) as a tensor; `uniforms` in the order of program.customUniforms. */
export function runWebGL(program: WebGLProgram, inputs: tf.Tensor[], uniforms: number[][] = []): tf.Tensor {
  const backend = webglBackend();
  if (!backend) throw new Error('runWebGL needs the WebGL backend');
  return tf.engine().makeTensorFromTensorInfo(backend.compileAndRun(program, inputs, 'float32', uniforms));
}
