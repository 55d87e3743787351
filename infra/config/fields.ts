// Schemas shared by every part of the stack config: strict objects that name unknown fields,
// pinned container images and secret values. One of each, so every key words its errors alike.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { unknownFieldsError } from "./problems";

/**
 * A strict object whose unknown fields are named in the error, with the known ones. With
 * `missing`, the object itself is required and its absence reads `missing`.
 */
export function strictObject<Shape extends z.ZodRawShape>(shape: Shape, missing?: string) {
  const unknownFields = unknownFieldsError(Object.keys(shape));
  return z.strictObject(shape, {
    error: (issue) => (issue.input === undefined && missing !== undefined ? missing : unknownFields(issue)),
  });
}

/** A container image reference: [registry[:port]/]path[:tag][@sha256:digest]. */
const IMAGE_REFERENCE =
  /^(?:[A-Za-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/**
 * An image with a version tag other than "latest", or a digest: a restart must never change the
 * version a pod runs. The reference is checked first, so a typo is not reported as "not pinned".
 */
export function pinnedImage(example: string) {
  return z.string({ error: () => `must be a string, an image such as "${example}"` }).superRefine((image, context) => {
    if (!IMAGE_REFERENCE.test(image)) {
      context.addIssue({ code: "custom", message: `"${image}" is not an image reference; write e.g. "${example}"` });
      return;
    }
    const name = image.slice(image.lastIndexOf("/") + 1);
    const tag = name.includes(":") ? name.slice(name.indexOf(":") + 1).replace(/@.*$/, "") : "";
    const digest = /@sha256:[0-9a-f]{64}$/.test(image);
    if (!digest && (tag === "" || tag === "latest"))
      context.addIssue({
        code: "custom",
        message: `"${image}" is not pinned; give a version tag such as "${example}" or a digest "@sha256:...", never "latest"`,
      });
  });
}

/** A secret config value: a pulumi Output read with config.getSecret. */
export const secretOutput = z
  .custom<pulumi.Output<string>>(
    (value) => pulumi.Output.isInstance(value),
    "read it with config.getSecret so it stays a secret",
  )
  .optional();
