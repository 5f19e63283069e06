#!/usr/bin/env node
// The CDK CLI runs this (cdk.json's "app"); `cdk synth` writes the templates to infra/cdk.out.
import { buildApp } from '../src/app.js';

buildApp();
