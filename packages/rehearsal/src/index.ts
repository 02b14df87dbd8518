export * from "./random";
export * from "./latency";
export * from "./baseline";
export * from "./report/schema";
export * from "./report/html";
export * from "./scenarios";
