// Reference data the pages share, fetched once per login.
import { api } from "./api.js";

let departmentsPromise = null;

/** Every department [{id, code, name, kind, ...}], ordered by code. */
export function departments() {
  if (!departmentsPromise) {
    departmentsPromise = api("GET", "/departments").then((r) => r.items).catch((e) => {
      departmentsPromise = null;
      throw e;
    });
  }
  return departmentsPromise;
}

/** code → Chinese name. */
export async function departmentNames() {
  const list = await departments();
  return Object.fromEntries(list.map((d) => [d.code, d.name]));
}

export function forgetReferenceData() {
  departmentsPromise = null;
}
