/** A real DynamoDB engine for tests (dynalite); lives with the emulated world. */
export { startDynalite, type LocalDynamo } from "../../../world/src/local";
