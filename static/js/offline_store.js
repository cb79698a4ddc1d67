"use strict";
// What this device keeps for reading offline, in IndexedDB, always under the reader's id:
// - outbox: decisions, undos and saves in the order they were made, until the server has them;
// - copies: the deck's next cards and the lists as last seen, dropped at sign-out;
// - meta: who was signed in last, which the offline page shows.
// A queue is only ever sent by its own reader's pages: another account on the same browser never sees it.
window.PaperSwipeStore = (() => {
  if (!("indexedDB" in window)) return null;
  let opening = null;
  function db() {
    opening ||= new Promise((resolve, reject) => {
      const request = indexedDB.open("paperswipe", 1);
      request.onupgradeneeded = () => {
        const base = request.result;
        base.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true }).createIndex("reader", "reader");
        base.createObjectStore("copies", { keyPath: ["reader", "key"] });
        base.createObjectStore("meta");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return opening;
  }
  async function run(storeName, mode, work) {
    const base = await db();
    return new Promise((resolve, reject) => {
      const transaction = base.transaction(storeName, mode);
      const result = work(transaction.objectStore(storeName));
      transaction.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      transaction.onerror = () => reject(transaction.error);
    });
  }
  return {
    queue: (reader, op) => run("outbox", "readwrite", (store) => store.add({ ...op, reader, at: Date.now() })),
    queued: (reader) => run("outbox", "readonly", (store) => store.index("reader").getAll(reader))
      .then((ops) => ops.sort((a, b) => a.seq - b.seq)),
    unqueue: (seq) => run("outbox", "readwrite", (store) => store.delete(seq)),
    // Noted before each send: an undo of something that may have reached the server must be sent too.
    attempted: (seq) => run("outbox", "readwrite", (store) => {
      const request = store.get(seq);
      request.onsuccess = () => { if (request.result) store.put({ ...request.result, attempted: true }); };
    }),
    keep: (reader, key, value) => run("copies", "readwrite", (store) => store.put({ reader, key, value, at: Date.now() })),
    copy: (reader, key) => run("copies", "readonly", (store) => store.get([reader, key])),
    // Read and write in one transaction, so that two writers never undo each other's change.
    change: (reader, key, edit) => run("copies", "readwrite", (store) => {
      const request = store.get([reader, key]);
      request.onsuccess = () => {
        if (request.result) store.put({ ...request.result, value: edit(request.result.value) });
      };
    }),
    forgetCopies: () => run("copies", "readwrite", (store) => store.clear()),
    setReader: (reader) => run("meta", "readwrite", (store) => store.put(reader, "reader")),
    reader: () => run("meta", "readonly", (store) => store.get("reader")),
    forgetReader: () => run("meta", "readwrite", (store) => store.delete("reader")),
  };
})();
