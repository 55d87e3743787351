import { describe, expect, it } from "vitest";
import { consumerFacts, keepsInterest, messagesDroppedByDelete, type ConsumerFacts } from "../../streams/consumerGuard";

const consumer = (overrides: Partial<ConsumerFacts>): ConsumerFacts => ({
  name: "settle",
  filters: [],
  ackFloor: 10,
  unacknowledged: 5,
  ...overrides,
});

describe("consumer guard", () => {
  it("counts the unacknowledged messages of the last consumer of an interest stream", () => {
    expect(messagesDroppedByDelete("interest", consumer({}), [consumer({})])).toBe(5);
  });

  it("counts nothing on limits and work-queue streams or with nothing unacknowledged", () => {
    expect(messagesDroppedByDelete("limits", consumer({}), [])).toBe(0);
    expect(messagesDroppedByDelete("workqueue", consumer({}), [])).toBe(0);
    expect(messagesDroppedByDelete("interest", consumer({ unacknowledged: 0 }), [])).toBe(0);
  });

  it("another consumer keeps interest only when it reads the same subjects from no later floor", () => {
    const target = consumer({ filters: ["orders.eu"] });
    expect(keepsInterest(consumer({ name: "b", ackFloor: 10 }), target)).toBe(true);
    expect(keepsInterest(consumer({ name: "b", filters: [">"], ackFloor: 3 }), target)).toBe(true);
    expect(keepsInterest(consumer({ name: "b", filters: ["orders.eu", "orders.us"] }), target)).toBe(true);
    expect(keepsInterest(consumer({ name: "b", ackFloor: 11 }), target)).toBe(false);
    expect(keepsInterest(consumer({ name: "b", filters: ["orders.us"] }), target)).toBe(false);
    expect(keepsInterest(consumer({ name: "b", filters: ["orders.eu"] }), consumer({}))).toBe(false);
    expect(messagesDroppedByDelete("interest", target, [target, consumer({ name: "b", filters: ["orders.us"] })])).toBe(
      5,
    );
    expect(messagesDroppedByDelete("interest", target, [target, consumer({ name: "b" })])).toBe(0);
  });

  it("reads filters, ack floor and pending counts from a consumer info", () => {
    const info = {
      name: "settle",
      config: { filter_subject: "orders.eu" },
      ack_floor: { stream_seq: 7 },
      num_pending: 3,
      num_ack_pending: 2,
    };
    expect(consumerFacts(info)).toEqual({ name: "settle", filters: ["orders.eu"], ackFloor: 7, unacknowledged: 5 });
    expect(consumerFacts({ ...info, config: { filter_subjects: ["a", "b"] } }).filters).toEqual(["a", "b"]);
    expect(consumerFacts({ ...info, config: {} }).filters).toEqual([]);
  });
});
