// Entry point of `pulumi up`: everything lives in components/; this file stays thin.
import { heliosProgram } from "./components/program";

export = heliosProgram();
