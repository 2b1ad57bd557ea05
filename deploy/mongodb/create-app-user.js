// Runs once, when the MongoDB volume is first initialised: the services' own user, which may
// read and write only the platform's four databases. Its password comes from the environment.
const password = process.env.MONGODB_PASSWORD;
if (!password) {
  throw new Error("MONGODB_PASSWORD is not set");
}
db.getSiblingDB("admin").createUser({
  user: "mpp",
  pwd: password,
  roles: ["agency", "mou", "mall", "notify"].map((s) => ({ role: "readWrite", db: `mpp_${s}` })),
});
