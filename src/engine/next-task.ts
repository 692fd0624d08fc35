/** Yielding to the worker's message queue between slices of long work (dataset building, generation). */

/** Resolves after the event loop has run queued tasks (messages) — cheaper than setTimeout's 4 ms clamp. */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
